"""The one error type of the provisioner: a one-line cause with no secret in it."""


class ProvisionError(Exception):
    """The store or Secrets Manager refused or failed; the message names what, never a secret."""
