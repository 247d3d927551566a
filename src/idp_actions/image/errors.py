"""The errors of image building and pushing, all :class:`~idp_actions.errors.IdpError`."""

from __future__ import annotations

from idp_actions.errors import IdpError

#: What to do when a Dockerfile needs a container runtime (RUN and friends).
RUNTIME_HINT = (
    "build this image with docker/build-push-action (service-ci's `builder: docker`), or drop the "
    "instruction: copy prepared files in from the build context instead, and use a numeric user "
    "(`USER 10001:10001` needs no /etc/passwd entry, so no RUN useradd)"
)


class ImageError(IdpError):
    """An image could not be built, pulled or pushed."""


class DockerfileProblem(ImageError):
    """The Dockerfile asks for something this builder cannot do, or is invalid; names the file and line."""

    def __init__(self, message: str, *, file: str, line: int | None = None, hint: str | None = None) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}", hint=hint)
        self.file = file
        self.line = line


class RegistryError(ImageError):
    """A registry refused a request, could not be reached, or sent something that failed verification."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class DigestMismatch(RegistryError):
    """Content did not hash to the digest it was fetched or pushed by."""
