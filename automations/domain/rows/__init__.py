"""Staff's rows into domain values: the one home of every table's parsing, shared by the CSV files and the
Airtable tables (each adapter reads cells; what they mean, and every problem a row has, is said here once).

- `roster`: the ambassadors (and their status history);
- `blog`: blog proposals;
- `funding`: funding and swag requests;
- `attendees`: event attendee lists;
- `conduct`: the conduct register;
- `referrals`: referral inquiries and the answer form's responses.
"""
