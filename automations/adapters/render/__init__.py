"""Documents people read: the certificates and the report's PDF (fpdf2), the report's page and newsletter (Jinja2),
and the review documents written as local HTML."""
