output "function_name" {
  value = aws_lambda_function.cutout.function_name
}

output "upload_to" {
  description = "Put photos here."
  value       = "s3://${aws_s3_bucket.input.bucket}/${var.input_prefix}"
}

output "cutouts_in" {
  description = "Cutouts appear here."
  value       = "s3://${local.output_bucket}/${var.output_prefix}"
}

output "log_group" {
  value = aws_cloudwatch_log_group.fn.name
}

output "queue_url" {
  value = var.use_sqs ? aws_sqs_queue.jobs[0].id : null
}

output "dead_letter_queue_url" {
  value = var.use_sqs ? aws_sqs_queue.dlq[0].id : null
}
