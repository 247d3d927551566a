terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }

  # State in the platform's bucket: the terraform workflow passes the bucket, key and
  # region with -backend-config (access by OIDC, no credentials in the repository).
  backend "s3" {}
}
