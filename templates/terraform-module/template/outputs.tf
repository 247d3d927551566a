output "id" {
  description = "Name prefix of the module's resources (NAME-ENVIRONMENT)."
  value       = local.id
}

output "tags" {
  description = "Tags the module puts on every resource: the extra ones and the required ones."
  value       = local.tags
}
