locals {
  separate_output   = var.output_bucket_name != ""
  output_bucket     = local.separate_output ? aws_s3_bucket.output[0].bucket : aws_s3_bucket.input.bucket
  output_bucket_arn = local.separate_output ? aws_s3_bucket.output[0].arn : aws_s3_bucket.input.arn
}

resource "aws_s3_bucket" "input" {
  bucket = var.input_bucket_name
}

resource "aws_s3_bucket_public_access_block" "input" {
  bucket                  = aws_s3_bucket.input.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket" "output" {
  count  = local.separate_output ? 1 : 0
  bucket = var.output_bucket_name
}

resource "aws_s3_bucket_public_access_block" "output" {
  count                   = local.separate_output ? 1 : 0
  bucket                  = aws_s3_bucket.output[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# The trigger: uploads under input_prefix ending in one of input_suffixes, sent straight to the function
# or, with use_sqs, to the queue. Its filter prefix is the function's INPUT_PREFIX.
resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.input.id

  dynamic "lambda_function" {
    for_each = var.use_sqs ? [] : var.input_suffixes
    content {
      id                  = "u2net-${lambda_function.key}"
      lambda_function_arn = aws_lambda_function.cutout.arn
      events              = ["s3:ObjectCreated:*"]
      filter_prefix       = var.input_prefix
      filter_suffix       = lambda_function.value
    }
  }

  dynamic "queue" {
    for_each = var.use_sqs ? var.input_suffixes : []
    content {
      id            = "u2net-${queue.key}"
      queue_arn     = aws_sqs_queue.jobs[0].arn
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = var.input_prefix
      filter_suffix = queue.value
    }
  }

  depends_on = [aws_lambda_permission.s3, aws_sqs_queue_policy.jobs]
}
