"""The Google fake behaves like the real services, as seen through the real client libraries.

Everything goes over HTTP on loopback with real google-auth service-account credentials (the
token is fetched from the fake's /token with a signed JWT); nothing is patched. The fake's own
helpers are used only to seed data and to look at what happened.
"""

from __future__ import annotations

import os

os.environ["NO_GCE_CHECK"] = "true"  # before google.auth is imported: never probe a metadata server

import base64
import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import google.auth.exceptions
import gspread
import pytest
import requests
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from gspread.http_client import HTTPClient
from gspread.utils import ValueRenderOption

from tests.fake_google import DateTime, FakeGoogle, GoogleFaults, make_service_account_key

SA = "automation@test-project.iam.gserviceaccount.com"
SENDER = "ambassadors@example.org"
SHEET = "1SheetResponses0000000000000000000000000000"
SHARED = "1SharedFolder000000000000000000000000000000"
MY_DRIVE = "1MyDriveFolder00000000000000000000000000000"
TEMPLATE = "1BlogReviewTemplate000000000000000000000000"
SCOPE = "https://www.googleapis.com/auth/"
READ_SHEETS = [SCOPE + "spreadsheets.readonly"]
ALL = [SCOPE + s for s in ("spreadsheets.readonly", "forms.body", "forms.responses.readonly", "drive",
                           "documents", "gmail.send")]


class LoopbackClient(HTTPClient):
    """gspread hard-codes Google's hosts: send them to the fake instead (base set per test)."""

    base = ""

    def request(self, method, endpoint, *args, **kwargs):
        for host in ("https://sheets.googleapis.com", "https://www.googleapis.com"):
            if endpoint.startswith(host):
                endpoint = self.base + endpoint[len(host):]
        return super().request(method, endpoint, *args, **kwargs)


@pytest.fixture(scope="module")
def key_template():
    # RSA key generation is the slow part: make one key for the module, point it at each fake.
    return make_service_account_key(client_email=SA)


@pytest.fixture
def fake():
    with FakeGoogle() as fake:
        yield fake


@pytest.fixture
def key(fake, key_template):
    key = {**key_template, "token_uri": fake.url + "/token"}
    fake.register_service_account(key)
    return key


def credentials(key, scopes=ALL, subject=None):
    creds = service_account.Credentials.from_service_account_info(key, scopes=scopes)
    return creds.with_subject(subject) if subject else creds


def sheets_client(fake, creds):
    return gspread.authorize(creds, http_client=type("Client", (LoopbackClient,), {"base": fake.url}))


def service(fake, name, version, creds):
    endpoint = fake.url + ("/drive/v3/" if name == "drive" else "/")
    return build(name, version, credentials=creds, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": endpoint})


def http_error(call) -> tuple[int, dict]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value.resp.status, json.loads(caught.value.content)


# -- tokens ------------------------------------------------------------------------------------

def test_token_is_fetched_with_a_signed_jwt_and_refreshed_after_revocation(fake, key):
    fake.add_spreadsheet(SHEET, tabs={"Form Responses 1": [["Timestamp"]]}, share_with=(SA,))
    client = sheets_client(fake, credentials(key, READ_SHEETS))

    assert client.open_by_key(SHEET).title == "Check-in responses"
    fake.revoke_tokens()
    fake.reset_log()
    assert client.open_by_key(SHEET).title == "Check-in responses"  # google-auth refreshed on the 401

    assert [(r.api, r.status) for r in fake.requests] == [("sheets", 401), ("token", 200), ("sheets", 200)]
    assert fake.requests[-1].principal == SA


def test_a_jwt_signed_with_another_key_is_refused(fake, key):
    impostor = {**make_service_account_key(client_email=SA, token_uri=key["token_uri"]),
                "private_key_id": key["private_key_id"]}
    creds = credentials(impostor)

    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        creds.refresh(AuthRequest())

    assert caught.value.args[1] == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}


def test_delegation_needs_the_admin_grant(fake, key):
    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        credentials(key, subject=SENDER).refresh(AuthRequest())
    assert caught.value.args[1]["error"] == "unauthorized_client"
    assert fake.requests[-1].status == 401

    fake.allow_delegation(SA, subjects=(SENDER,))
    creds = credentials(key, subject=SENDER)
    creds.refresh(AuthRequest())
    assert creds.token.startswith("ya29.")


def test_calls_without_the_scope_or_the_share_are_refused(fake, key):
    fake.add_spreadsheet(SHEET, share_with=(SA,))
    fake.add_spreadsheet("1NotShared", share_with=("someone@example.org",))
    docs_only = sheets_client(fake, credentials(key, [SCOPE + "documents"]))
    reader = sheets_client(fake, credentials(key, READ_SHEETS))

    with pytest.raises(gspread.exceptions.APIError) as caught:
        docs_only.http_client.fetch_sheet_metadata(SHEET)  # open_by_key would hide the body
    assert caught.value.response.status_code == 403
    assert caught.value.error["message"] == "Request had insufficient authentication scopes."
    with pytest.raises(PermissionError):  # gspread's translation of 403 on open
        reader.open_by_key("1NotShared")
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        reader.open_by_key("1DoesNotExist")
    missing = requests.get(f"{fake.url}/v4/spreadsheets/{SHEET}")
    assert missing.status_code == 401 and missing.json()["error"]["status"] == "UNAUTHENTICATED"


# -- Sheets ------------------------------------------------------------------------------------

ROWS = [
    ["Timestamp", "Email Address", "Member number", "Activity", "Activity", "Hours", "First time?"],
    [DateTime(datetime(2026, 7, 1, 14, 5, 9)), "ana@example.org", "0123", "Talk", "Blog", 2.5, True],
    [DateTime(datetime(2026, 7, 2, 9, 0, 0)), "bo@example.org", "0456", "", "Docs", 1, False],
]


def test_metadata_has_the_time_zone_locale_and_tabs(fake, key):
    fake.add_spreadsheet(SHEET, title="Check-in (responses)", tabs={"Form Responses 1": ROWS, "Notes": []},
                         share_with=(SA,))
    book = sheets_client(fake, credentials(key, READ_SHEETS)).open_by_key(SHEET)

    assert (book.title, book.timezone, book.locale) == ("Check-in (responses)", "America/Sao_Paulo", "pt_BR")
    assert [(w.title, w.index, w.row_count, w.col_count) for w in book.worksheets()] == [
        ("Form Responses 1", 0, 1000, 26), ("Notes", 1, 1000, 26)]


def test_unformatted_values_keep_text_and_give_serial_numbers(fake, key):
    fake.add_spreadsheet(SHEET, tabs={"Form Responses 1": ROWS}, share_with=(SA,))
    sheet = sheets_client(fake, credentials(key, READ_SHEETS)).open_by_key(SHEET).sheet1

    rows = sheet.get_all_values(value_render_option=ValueRenderOption.unformatted)

    assert rows[0] == ROWS[0]  # the duplicate "Activity" header is kept, in place
    assert rows[1][1:] == ["ana@example.org", "0123", "Talk", "Blog", 2.5, True]
    serial = (datetime(2026, 7, 1, 14, 5, 9) - datetime(1899, 12, 30)) / timedelta(days=1)
    assert rows[1][0] == pytest.approx(serial)
    assert rows[2][3] == ""  # an empty cell inside the row, not trimmed


def test_formatted_values_follow_the_locale(fake, key):
    fake.add_spreadsheet(SHEET, tabs={"Form Responses 1": ROWS}, share_with=(SA,))
    sheet = sheets_client(fake, credentials(key, READ_SHEETS)).open_by_key(SHEET).sheet1

    rows = sheet.get_all_values()

    assert rows[1] == ["01/07/2026 14:05:09", "ana@example.org", "0123", "Talk", "Blog", "2,5", "VERDADEIRO"]
    assert rows[2][-2:] == ["1", "FALSO"]


def test_ranges_are_trimmed_and_unknown_tabs_do_not_parse(fake, key):
    fake.add_spreadsheet(SHEET, tabs={"Form Responses 1": ROWS + [["", ""], []]}, share_with=(SA,))
    http = sheets_client(fake, credentials(key, READ_SHEETS)).http_client

    whole = http.values_get(SHEET, "'Form Responses 1'")
    part = http.values_get(SHEET, "'Form Responses 1'!B2:C", params={"majorDimension": "COLUMNS"})
    empty = http.values_get(SHEET, "'Form Responses 1'!A10:B12")

    assert whole["range"] == "'Form Responses 1'!A1:Z1000" and len(whole["values"]) == 3
    assert part == {"range": "'Form Responses 1'!B2:C1000", "majorDimension": "COLUMNS",
                    "values": [["ana@example.org", "bo@example.org"], ["0123", "0456"]]}
    assert empty == {"range": "'Form Responses 1'!A10:B12", "majorDimension": "ROWS"}
    with pytest.raises(gspread.exceptions.APIError) as caught:
        http.values_get(SHEET, "'Respostas ao formulário 1'!A1:Z")
    assert caught.value.error == {"code": 400, "status": "INVALID_ARGUMENT",
                                  "message": "Unable to parse range: 'Respostas ao formulário 1'!A1:Z"}


# -- Forms -------------------------------------------------------------------------------------

def test_created_form_gets_items_by_batch_update_and_starts_unpublished(fake, key):
    forms = service(fake, "forms", "v1", credentials(key))

    status, body = http_error(forms.forms().create(body={"info": {"title": "Check-in"}, "items": []}))
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"

    form = forms.forms().create(body={"info": {"title": "Check-in"}}).execute()
    reply = forms.forms().batchUpdate(formId=form["formId"], body={"requests": [
        {"createItem": {"item": {"title": "Activity", "questionItem": {"question": {
            "required": True, "textQuestion": {}}}}, "location": {"index": 0}}},
        {"createItem": {"item": {"title": "Next section", "pageBreakItem": {}}, "location": {"index": 1}}},
    ]}).execute()
    got = forms.forms().get(formId=form["formId"]).execute()

    assert form["info"] == {"title": "Check-in", "documentTitle": "Untitled form"}
    assert [i["title"] for i in got["items"]] == ["Activity", "Next section"]
    assert reply["replies"][0]["createItem"]["itemId"] == got["items"][0]["itemId"]
    assert reply["replies"][0]["createItem"]["questionId"] == [got["items"][0]["questionItem"]["question"]
                                                               ["questionId"]]
    assert "questionId" not in reply["replies"][1]["createItem"]
    assert got["publishSettings"] == {}  # proto3 JSON: isPublished/isAcceptingResponses are false, so absent
    assert got["responderUri"].startswith("https://docs.google.com/forms/d/e/")
    question = got["items"][0]["questionItem"]["question"]["questionId"]
    with pytest.raises(ValueError, match="not accepting responses"):
        fake.add_response(form["formId"], {question: ["Talk"]}, datetime.now(UTC))

    published = forms.forms().setPublishSettings(formId=form["formId"], body={
        "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}}).execute()
    assert published == {"formId": form["formId"],
                         "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}}
    fake.add_response(form["formId"], {question: ["Talk"]}, datetime.now(UTC))
    status, body = http_error(forms.forms().setPublishSettings(formId=form["formId"], body={
        "publishSettings": {"publishState": {"isPublished": False, "isAcceptingResponses": True}}}))
    assert status == 400


def test_unknown_body_fields_are_refused_like_googles_front_end(fake, key):
    forms = service(fake, "forms", "v1", credentials(key))
    form = forms.forms().create(body={"info": {"title": "Check-in"}}).execute()

    status, body = http_error(forms.forms().batchUpdate(formId=form["formId"], body={"requests": [
        {"createItem": {"item": {"titel": "x", "pageBreakItem": {}}, "location": {"index": 0}}}]}))

    assert status == 400
    assert body["error"]["message"] == ('Invalid JSON payload received. Unknown name "titel" at '
                                        "'requests[0].create_item.item': Cannot find field.")


FORM = "1CheckinForm0000000000000000000000000000000"
ITEMS = [{"itemId": "1a2b3c4d", "title": "Activity",
          "questionItem": {"question": {"questionId": "5e6f7a8b", "textQuestion": {}}}},
         {"itemId": "2a2b3c4d", "title": "Hours",
          "questionItem": {"question": {"questionId": "6e6f7a8b", "textQuestion": {}}}}]


def test_responses_come_in_pages_and_filter_by_timestamp(fake, key):
    fake.add_form(FORM, "Check-in", ITEMS, share_with=(SA,))
    start = datetime(2026, 7, 1, 12, tzinfo=UTC)
    ids = [fake.add_response(FORM, {"5e6f7a8b": [f"talk {n}"]}, start + timedelta(hours=n),
                             email=f"p{n}@example.org" if n % 2 else None) for n in range(5)]
    responses = service(fake, "forms", "v1", credentials(key)).forms().responses()

    pages, token = [], None
    while True:
        page = responses.list(formId=FORM, pageSize=2, pageToken=token).execute()
        pages.append(page["responses"])
        token = page.get("nextPageToken")
        if not token:
            break
    later = responses.list(formId=FORM, filter="timestamp > 2026-07-01T14:00:00Z").execute()
    from_then = responses.list(formId=FORM, filter="timestamp >= 2026-07-01T14:00:00Z").execute()
    none = responses.list(formId=FORM, filter="timestamp > 2027-01-01T00:00:00Z").execute()

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [r["responseId"] for p in pages for r in p] == ids
    first = pages[0][0]
    assert "formId" not in first and "respondentEmail" not in first  # list items carry no formId
    assert first["answers"] == {"5e6f7a8b": {"questionId": "5e6f7a8b",
                                             "textAnswers": {"answers": [{"value": "talk 0"}]}}}
    assert first["createTime"] == "2026-07-01T12:00:00.000Z"
    assert pages[0][1]["respondentEmail"] == "p1@example.org"
    assert [r["responseId"] for r in later["responses"]] == ids[3:]
    assert [r["responseId"] for r in from_then["responses"]] == ids[2:]
    assert none == {}
    status, _body = http_error(responses.list(formId=FORM, filter="timestamp > 2026-07-01T14:00:00+01:00"))
    assert status == 400
    one = responses.get(formId=FORM, responseId=ids[1]).execute()
    assert one["formId"] == FORM and one["responseId"] == ids[1]


def test_renaming_an_item_keeps_its_question_id(fake, key):
    fake.add_form(FORM, "Check-in", ITEMS, share_with=(SA,))
    forms = service(fake, "forms", "v1", credentials(key)).forms()

    fake.rename_item(FORM, "1a2b3c4d", "What did you do?")
    item = forms.get(formId=FORM).execute()["items"][0]

    assert item["title"] == "What did you do?"
    assert item["questionItem"]["question"]["questionId"] == "5e6f7a8b"
    assert fake.forms(FORM)["items"][0]["title"] == "What did you do?"


def test_forms_need_the_right_scope_and_a_share(fake, key):
    fake.add_form(FORM, "Check-in", ITEMS, share_with=("owner@example.org",))
    body_only = service(fake, "forms", "v1", credentials(key, [SCOPE + "forms.body"])).forms()
    fake.add_form("1Mine", "Mine", ITEMS, share_with=(SA,))

    assert http_error(body_only.get(formId=FORM))[1]["error"] == {
        "code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}
    assert http_error(body_only.get(formId="1Nope"))[1]["error"]["status"] == "NOT_FOUND"
    assert http_error(body_only.responses().list(formId="1Mine"))[0] == 403  # forms.body cannot read responses


# -- Drive and Docs ----------------------------------------------------------------------------

def seed_drive(fake):
    fake.add_folder(SHARED, "Blog reviews", shared_drive=True, share_with=(SA,))
    fake.add_folder(MY_DRIVE, "Someone's folder", shared_drive=False, share_with=(SA, SENDER))
    fake.add_document(TEMPLATE, "Review template", "Hello {{name}},\nyour post {{title}} is in review.\n"
                                                   "{{NAME}} again.", parent=SHARED)


def test_copy_into_a_shared_drive_needs_supports_all_drives(fake, key):
    seed_drive(fake)
    drive = service(fake, "drive", "v3", credentials(key)).files()

    status, body = http_error(drive.copy(fileId=TEMPLATE, body={"name": "Review: Ana", "parents": [SHARED]}))
    assert (status, body["error"]["message"]) == (404, f"File not found: {TEMPLATE}.")

    copied = drive.copy(fileId=TEMPLATE, body={"name": "Review: Ana", "parents": [SHARED]},
                        supportsAllDrives=True, fields="id,name,parents,webViewLink").execute()

    assert copied["name"] == "Review: Ana" and copied["parents"] == [SHARED]
    assert copied["webViewLink"] == f"https://docs.google.com/document/d/{copied['id']}/edit?usp=drivesdk"
    assert fake.document_text(copied["id"]) == fake.document_text(TEMPLATE)
    meta = drive.get(fileId=copied["id"], supportsAllDrives=True).execute()
    assert meta == {"kind": "drive#file", "id": copied["id"], "name": "Review: Ana",
                    "mimeType": "application/vnd.google-apps.document"}
    assert http_error(drive.get(fileId=TEMPLATE, supportsAllDrives=True, fields="id,nmae"))[0] == 400


def test_a_service_account_has_no_storage_of_its_own(fake, key):
    seed_drive(fake)
    fake.allow_delegation(SA, subjects=(SENDER,))
    as_robot = service(fake, "drive", "v3", credentials(key)).files()
    as_user = service(fake, "drive", "v3", credentials(key, subject=SENDER)).files()

    status, body = http_error(as_robot.copy(fileId=TEMPLATE, body={"parents": [MY_DRIVE]}, supportsAllDrives=True))
    assert status == 403
    assert body["error"]["errors"][0]["reason"] == "storageQuotaExceeded"
    assert body["error"]["message"] == "The user's Drive storage quota has been exceeded."

    fake.add_folder("1UserShared", "x", shared_drive=True, share_with=(SENDER,))
    fake.add_document("1UserDoc", "Draft", "text", parent=MY_DRIVE)
    copied = as_user.copy(fileId="1UserDoc", body={"parents": [MY_DRIVE]}).execute()
    assert copied["name"] == "Copy of Draft"
    assert fake.files()[copied["id"]]["permissions"][0]["role"] == "owner"


def test_sharing_without_a_notification_email_is_recorded(fake, key):
    seed_drive(fake)
    permissions = service(fake, "drive", "v3", credentials(key)).permissions()

    made = permissions.create(fileId=TEMPLATE, sendNotificationEmail=False, supportsAllDrives=True,
                              body={"type": "user", "role": "commenter", "emailAddress": "ana@example.org"}).execute()
    listed = permissions.list(fileId=TEMPLATE, supportsAllDrives=True,
                              fields="permissions(id,emailAddress,role)").execute()

    assert set(made) == {"kind", "id", "type", "role"} and made["role"] == "commenter"
    own = [p for p in fake.files()[TEMPLATE]["permissions"] if p["emailAddress"] == "ana@example.org"]
    assert own == [{"kind": "drive#permission", "id": made["id"], "type": "user", "role": "commenter",
                    "emailAddress": "ana@example.org", "sendNotificationEmail": False, "emailMessage": None}]
    assert {"id": made["id"], "emailAddress": "ana@example.org", "role": "commenter"} in listed["permissions"]


def test_replace_all_text_counts_and_omits_zero(fake, key):
    seed_drive(fake)
    docs = service(fake, "docs", "v1", credentials(key)).documents()

    reply = docs.batchUpdate(documentId=TEMPLATE, body={"requests": [
        {"replaceAllText": {"containsText": {"text": "{{name}}", "matchCase": True}, "replaceText": "Ana"}},
        {"replaceAllText": {"containsText": {"text": "{{title}}"}, "replaceText": "Mautic 7"}},
        {"replaceAllText": {"containsText": {"text": "{{missing}}", "matchCase": True}, "replaceText": "x"}},
        {"replaceAllText": {"containsText": {"text": "{{name}}"}, "replaceText": "Ana"}},  # case-insensitive
    ]}).execute()
    doc = docs.get(documentId=TEMPLATE).execute()

    assert reply["documentId"] == TEMPLATE
    assert reply["replies"] == [{"replaceAllText": {"occurrencesChanged": 1}},
                                {"replaceAllText": {"occurrencesChanged": 1}},
                                {"replaceAllText": {}},
                                {"replaceAllText": {"occurrencesChanged": 1}}]
    assert reply["writeControl"]["requiredRevisionId"] == doc["revisionId"]
    assert fake.document_text(TEMPLATE) == "Hello Ana,\nyour post Mautic 7 is in review.\nAna again."
    runs = [e["textRun"]["content"] for c in doc["body"]["content"] if "paragraph" in c
            for e in c["paragraph"]["elements"]]
    assert "".join(runs) == "Hello Ana,\nyour post Mautic 7 is in review.\nAna again.\n"
    assert doc["title"] == "Review template"


# -- Gmail -------------------------------------------------------------------------------------

def raw_message() -> str:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, "ana@example.org", "Your review"
    message.set_content("Hello Ana")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def test_gmail_sends_only_for_a_delegated_user(fake, key):
    fake.allow_delegation(SA, subjects=(SENDER,))
    robot = service(fake, "gmail", "v1", credentials(key, [SCOPE + "gmail.send"])).users().messages()
    user = service(fake, "gmail", "v1", credentials(key, [SCOPE + "gmail.send"], subject=SENDER)).users().messages()

    status, body = http_error(robot.send(userId="me", body={"raw": raw_message()}))
    assert status == 400
    assert body["error"]["status"] == "FAILED_PRECONDITION"
    assert body["error"]["message"] == "Precondition check failed."

    sent = user.send(userId="me", body={"raw": raw_message()}).execute()

    assert sent["labelIds"] == ["SENT"] and sent["threadId"] == sent["id"]
    [mail] = fake.sent_mail
    assert (mail["user_id"], mail["message_id"]) == (SENDER, sent["id"])
    assert b"Subject: Your review" in mail["raw_bytes"]


# -- faults ------------------------------------------------------------------------------------

def statuses_with(fake, key, faults: GoogleFaults, calls: int = 12) -> list[int]:
    fake.add_form(FORM, "Check-in", ITEMS, share_with=(SA,))
    forms = service(fake, "forms", "v1", credentials(key)).forms()
    fake.faults = faults
    out = []
    for _ in range(calls):
        try:
            forms.get(formId=FORM).execute()
            out.append(200)
        except HttpError as e:
            out.append(e.resp.status)
            assert json.loads(e.content)["error"]["status"] in ("RESOURCE_EXHAUSTED", "INTERNAL", "UNAVAILABLE")
    return out


def test_injected_faults_repeat_for_the_same_seed(key_template):
    runs = []
    for _ in range(2):
        with FakeGoogle() as fake:
            key = {**key_template, "token_uri": fake.url + "/token"}
            fake.register_service_account(key)
            runs.append(statuses_with(fake, key, GoogleFaults(rate_429=0.3, rate_5xx=0.3, seed=7)))
    assert runs[0] == runs[1]
    assert {429, 200} <= set(runs[0]) and set(runs[0]) & {500, 503}


def test_an_injected_401_makes_the_client_refresh(fake, key):
    statuses = statuses_with(fake, key, GoogleFaults(rate_401=0.5, seed=3))

    assert statuses == [200] * 12  # google-auth refreshed and retried every time
    tokens = [r for r in fake.requests if r.api == "token"]
    assert len(tokens) > 1 and all(r.status == 200 for r in tokens)
    assert any(r.fault == "401" for r in fake.requests)
