output "repository_url" {
  description = "URL of the image repository (push images here; deploy them by digest)."
  value       = aws_ecr_repository.service.repository_url
}

output "workload_role_arns" {
  description = "IAM role of the workload in each environment."
  value       = { for env, role in aws_iam_role.workload : env => role.arn }
}
