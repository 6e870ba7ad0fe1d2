"""Data protection: retention, erasure and subject access under UK GDPR."""
