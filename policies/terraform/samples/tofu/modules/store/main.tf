variable "bucket_name" {
  type = string
}

resource "terraform_data" "versioning" {
  input = {
    bucket = var.bucket_name
    status = "Enabled"
  }
}
