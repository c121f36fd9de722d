"""PDF labels: crate labels (周转箱标签) and household labels (户标签), QR codes, the embedded font (docs/labels.md)."""
