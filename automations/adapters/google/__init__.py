"""Google: the service-account access, the check-in form and the referral answer form read from Sheets or the Forms
API, the review documents in Docs, and mail through Gmail."""
