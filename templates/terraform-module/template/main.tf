# The module's conventions, in one place: every resource it creates is named
# `local.id` (or starts with it) and tagged with `local.tags`. Add resources below.

locals {
  id = "${var.name}-${var.environment}"

  required_tags = {
    Owner       = var.owner
    Environment = var.environment
    Service     = var.name
    ManagedBy   = "terraform"
  }

  # Required tags win over anything passed in `tags`.
  tags = merge(var.tags, local.required_tags)
}
