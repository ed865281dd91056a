resource "aws_cloudwatch_log_group" "fn" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "cutout" {
  function_name    = var.name
  role             = aws_iam_role.fn.arn
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  handler          = "bootstrap"
  memory_size      = var.memory_mb
  timeout          = var.timeout_s

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = merge({
      MODEL         = var.model_file
      INPUT_BUCKET  = aws_s3_bucket.input.bucket
      INPUT_PREFIX  = var.input_prefix
      OUTPUT_BUCKET = local.output_bucket
      OUTPUT_PREFIX = var.output_prefix
      OUTPUT_MODE   = var.output_mode
      POST_PROCESS  = var.post_process ? "1" : "0"
      MAX_PIXELS    = tostring(var.max_pixels)
    }, var.bgcolor == "" ? {} : { BGCOLOR = var.bgcolor })
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.fn.name
  }

  lifecycle {
    # The recursion guard (the function refuses the same configuration at init): with one bucket, no
    # cutout key may start with the trigger prefix, nor the other way round.
    precondition {
      condition     = local.separate_output || (var.input_prefix != "" && !startswith(var.output_prefix, var.input_prefix) && !startswith(var.input_prefix, var.output_prefix))
      error_message = "recursion guard: with one bucket, input_prefix must be non-empty and input_prefix and output_prefix must not overlap (e.g. uploads/ and cutouts/), or set output_bucket_name."
    }
  }

  depends_on = [aws_iam_role_policy.fn, aws_cloudwatch_log_group.fn]
}

# S3 may invoke the function, from this bucket and account only (the direct path).
resource "aws_lambda_permission" "s3" {
  count          = var.use_sqs ? 0 : 1
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.cutout.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.input.arn
  source_account = data.aws_caller_identity.me.account_id
}
