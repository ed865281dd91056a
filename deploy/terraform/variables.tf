variable "region" {
  description = "AWS region for every resource."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Function name; also the prefix of the role, log group and queues."
  type        = string
  default     = "u2net-cutout"
}

variable "input_bucket_name" {
  description = "Bucket to create for uploads (globally unique)."
  type        = string
}

variable "output_bucket_name" {
  description = "A separate bucket to create for cutouts; empty: cutouts go to the input bucket under output_prefix."
  type        = string
  default     = ""
}

variable "input_prefix" {
  description = "The trigger prefix: only uploads under it invoke the function (INPUT_PREFIX)."
  type        = string
  default     = "uploads/"
}

variable "output_prefix" {
  description = "Where cutouts are written (OUTPUT_PREFIX). Must not overlap input_prefix when the bucket is shared."
  type        = string
  default     = "cutouts/"
}

variable "input_suffixes" {
  description = "File name endings that trigger the function (one S3 filter each)."
  type        = list(string)
  default     = [".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG"]
}

variable "zip_path" {
  description = "The deployment package from `make lambda-zip ARCH=arm64 MODEL=...`."
  type        = string
  default     = "../../build/lambda-arm64.zip"
}

variable "model_file" {
  description = "The model's path inside the zip (the MODEL variable; relative to /var/task)."
  type        = string
  default     = "model.u2n"
}

variable "memory_mb" {
  description = "Function memory. Lambda gives CPU in proportion (1769 MB = one full vCPU): see docs/deploy-lambda.md."
  type        = number
  default     = 3008
  validation {
    condition     = var.memory_mb >= 512 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 512 and 10240."
  }
}

variable "timeout_s" {
  description = "Function timeout in seconds."
  type        = number
  default     = 60
  validation {
    condition     = var.timeout_s >= 10 && var.timeout_s <= 900
    error_message = "timeout_s must be between 10 and 900."
  }
}

variable "output_mode" {
  description = "cutout (RGBA PNG) or mask (grayscale PNG)."
  type        = string
  default     = "cutout"
  validation {
    condition     = contains(["cutout", "mask"], var.output_mode)
    error_message = "output_mode must be cutout or mask."
  }
}

variable "bgcolor" {
  description = "r,g,b[,a] to composite the cutout over; empty keeps it transparent."
  type        = string
  default     = ""
}

variable "post_process" {
  description = "rembg's mask post-processing."
  type        = bool
  default     = false
}

variable "max_pixels" {
  description = "Largest photo accepted, in pixels (width x height)."
  type        = number
  default     = 40000000
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps the function's logs."
  type        = number
  default     = 14
}

variable "reserved_concurrency" {
  description = "Cap on concurrent executions (-1: no reservation)."
  type        = number
  default     = -1
}

variable "use_sqs" {
  description = "The durable path: S3 -> SQS (with a dead-letter queue) -> Lambda, instead of S3 -> Lambda."
  type        = bool
  default     = false
}

variable "sqs_batch_size" {
  description = "Messages per invocation on the SQS path (each message is one photo)."
  type        = number
  default     = 1
  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 10
    error_message = "sqs_batch_size must be 1..10 (larger batches need a batching window and rarely help here)."
  }
}

variable "sqs_max_receive_count" {
  description = "Deliveries of a message before it moves to the dead-letter queue."
  type        = number
  default     = 3
}
