# The durable path (use_sqs = true): S3 -> SQS -> Lambda. A message that keeps failing moves to the
# dead-letter queue after sqs_max_receive_count deliveries; the function reports per-message failures
# (batchItemFailures), so the good messages of a batch are not retried.

resource "aws_sqs_queue" "dlq" {
  count                     = var.use_sqs ? 1 : 0
  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600 # 14 days: time to look at what failed
}

resource "aws_sqs_queue" "jobs" {
  count                      = var.use_sqs ? 1 : 0
  name                       = "${var.name}-jobs"
  visibility_timeout_seconds = 6 * var.timeout_s # AWS's advice: at least six times the function timeout
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.sqs_max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count     = var.use_sqs ? 1 : 0
  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs[0].arn]
  })
}

data "aws_iam_policy_document" "queue" {
  count = var.use_sqs ? 1 : 0
  statement {
    sid     = "S3SendsUploadEvents"
    actions = ["sqs:SendMessage"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    resources = [aws_sqs_queue.jobs[0].arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.input.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.me.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "jobs" {
  count     = var.use_sqs ? 1 : 0
  queue_url = aws_sqs_queue.jobs[0].id
  policy    = data.aws_iam_policy_document.queue[0].json
}

resource "aws_lambda_event_source_mapping" "jobs" {
  count                   = var.use_sqs ? 1 : 0
  event_source_arn        = aws_sqs_queue.jobs[0].arn
  function_name           = aws_lambda_function.cutout.arn
  batch_size              = var.sqs_batch_size
  function_response_types = ["ReportBatchItemFailures"]
}
