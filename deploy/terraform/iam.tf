data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "${var.name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

# Least privilege: read only under the trigger prefix, write only under the output prefix, log only to
# the function's own group. GetObjectVersion because events carry the version that triggered them.
data "aws_iam_policy_document" "fn" {
  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.input.arn}/${var.input_prefix}*"]
  }

  statement {
    sid       = "WriteCutouts"
    actions   = ["s3:PutObject"]
    resources = ["${local.output_bucket_arn}/${var.output_prefix}*"]
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.fn.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.use_sqs ? [1] : []
    content {
      sid       = "ConsumeJobs"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources = [aws_sqs_queue.jobs[0].arn]
    }
  }
}

resource "aws_iam_role_policy" "fn" {
  name   = "${var.name}-policy"
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.fn.json
}
