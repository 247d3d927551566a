# The root behind plan.json (next to this file): a real OpenTofu plan, made offline with
# built-in `terraform_data` resources only, that shows the plan JSON envelope our
# AWS fixtures copy. tests/integration/test_policy_conftest.py makes it again and
# compares it with plan.json:
#   tofu apply -var environment=dev -var keep_legacy=true
#   tofu plan  -var environment=staging -var keep_legacy=false -out p && tofu show -json p
# so the plan holds an update, a replacement and a delete, inside and outside a
# module with count.
terraform {
  required_version = ">= 1.6"
}

variable "environment" {
  type = string
}

variable "keep_legacy" {
  type = bool
}

resource "terraform_data" "bucket" {
  input = {
    name        = "orders-${var.environment}"
    environment = var.environment
  }
}

resource "terraform_data" "replica" {
  input            = terraform_data.bucket.output
  triggers_replace = [var.environment]
}

resource "terraform_data" "legacy" {
  count = var.keep_legacy ? 1 : 0
  input = "to-be-removed"
}

module "store" {
  source      = "./modules/store"
  count       = 1
  bucket_name = terraform_data.bucket.output.name
}
