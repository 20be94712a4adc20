"""Printable PDF documents (reportlab): vector QR codes, passes, forms and cards."""
