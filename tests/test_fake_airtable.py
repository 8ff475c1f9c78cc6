"""The Airtable fake behaves like the real service, as seen through the real pyairtable client.

Everything goes over HTTP on loopback; nothing here calls the fake's internals except the
seeding/inspection helpers (create_table, insert, records, requests).
"""

from __future__ import annotations

import pytest
import requests
from pyairtable import Api
from pyairtable.formulas import match

from tests.fake_airtable import FakeAirtable, Faults, ManualClock

BASE = "appTEST0000000001"
TOKEN = "patFAKE.secret"
PEOPLE = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Email", "type": "email"},
    {"name": "Score", "type": "number", "options": {"precision": 1}},
    {"name": "Active", "type": "checkbox", "options": {"color": "greenBright", "icon": "check"}},
    {"name": "Tier", "type": "singleSelect", "options": {"choices": [{"name": "Gold"}, {"name": "Silver"}]}},
    {"name": "Tags", "type": "multipleSelects", "options": {"choices": [{"name": "a"}, {"name": "b"}]}},
    {"name": "Joined", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    {"name": "Seen", "type": "dateTime", "options": {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"},
                                                     "timeZone": "Europe/Berlin"}},
    {"name": "Notes", "type": "multilineText"},
]


@pytest.fixture
def clock():
    return ManualClock(start=1000.0)


@pytest.fixture
def fake(clock):
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=clock.now, wall=clock.wall) as fake:
        # Each request moves the clock a quarter second: the rate limiter stays on, at a
        # pace (4/s) real clients keep, and no test sleeps.
        fake.on_request = lambda info: clock.advance(0.25)
        fake.create_table(BASE, "People", PEOPLE)
        yield fake


@pytest.fixture
def api(fake):
    return Api(TOKEN, endpoint_url=fake.url, retry_strategy=None)


@pytest.fixture
def people(api):
    return api.table(BASE, "People")


def failure(call, *args, **kwargs) -> tuple[int, object]:
    """Status and JSON body of the HTTPError pyairtable raises for a call."""
    with pytest.raises(requests.HTTPError) as caught:
        call(*args, **kwargs)
    return caught.value.response.status_code, caught.value.response.json()


def error_type(body) -> str:
    return body["error"]["type"]


# -- reading -----------------------------------------------------------------------------------

def test_250_records_come_back_in_three_pages_in_creation_order(fake, api, people):
    fake.insert(BASE, "People", [{"Name": f"p{i:03}"} for i in range(250)])

    pages = list(people.iterate())

    assert [len(p) for p in pages] == [100, 100, 50]
    assert [r["fields"]["Name"] for p in pages for r in p] == [f"p{i:03}" for i in range(250)]
    assert [(r.kind, r.records, r.status) for r in fake.requests] == [("read", 100, 200), ("read", 100, 200),
                                                                       ("read", 50, 200)]
    assert {(r.method, r.base_id, r.table) for r in fake.requests} == {("GET", BASE, "People")}


def test_offsets_chain_and_unknown_offsets_or_oversized_pages_are_rejected(fake, api, people):
    fake.insert(BASE, "People", [{"Name": f"p{i}"} for i in range(150)])

    first = api.get(people.urls.records)
    second = api.get(people.urls.records, params={"offset": first["offset"]})

    assert len(first["records"]) == 100 and len(second["records"]) == 50 and "offset" not in second
    assert failure(api.get, people.urls.records, params={"offset": "itrBOGUS/recBOGUS"})[1]["error"]["type"] \
        == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"
    assert failure(api.get, people.urls.records, params={"pageSize": 101})[0] == 422
    assert len(people.all(max_records=7, page_size=5)) == 7


def test_fields_selection_returns_only_those_fields_and_unknown_names_are_422(people):
    people.create({"Name": "Ada", "Email": "ada@example.org", "Score": 3})

    assert people.all(fields=["Email"])[0]["fields"] == {"Email": "ada@example.org"}
    status, body = failure(people.all, fields=["Nope"])
    assert status == 422 and body == {"error": {"type": "UNKNOWN_FIELD_NAME", "message": 'Unknown field name: "Nope"'}}


def test_a_formula_too_long_for_a_url_goes_through_post_list_records(fake, api, people):
    fake.insert(BASE, "People", [{"Name": f"n{i}"} for i in range(30)])
    wanted = [f"n{i}" for i in range(0, 30, 3)]
    clauses = [f"{{Name}}='{n}'" for n in wanted] + [f"{{Name}}='absent-{i:04}'" for i in range(900)]
    formula = "OR(" + ", ".join(clauses) + ")"

    found = people.all(formula=formula)

    assert sorted(r["fields"]["Name"] for r in found) == sorted(wanted)
    assert (fake.requests[-1].method, fake.requests[-1].path.endswith("/listRecords")) == ("POST", True)
    # The same request as a GET is refused, as Airtable refuses URLs over 16,000 characters.
    assert failure(api.get, people.urls.records, params={"filterByFormula": formula})[0] == 414


def test_formulas_sorting_and_single_record_reads(people):
    ada, bob = people.batch_create([{"Name": "Ada", "Score": 3}, {"Name": "Bob's", "Score": 4}])

    assert [r["id"] for r in people.all(formula=match({"Name": "Bob's"}))] == [bob["id"]]
    assert len(people.all(formula=f"OR({{Score}} = 3, RECORD_ID() = '{bob['id']}')")) == 2
    assert people.all(formula="AND({Score}=3, {Name}='Bob\\'s')") == []
    assert [r["id"] for r in people.all(sort=["-Score"])] == [bob["id"], ada["id"]]
    assert people.get(ada["id"]) == ada
    for bad in ("FIND('x', {Name})", "{Name} = ", "{Missing} = 1"):
        status, body = failure(people.all, formula=bad)
        assert (status, error_type(body)) == (422, "INVALID_FILTER_BY_FORMULA")
    assert failure(people.get, "recNOPE0000000000") == (404, {"error": {"type": "MODEL_ID_NOT_FOUND",
                                                                         "message": "Record not found"}})


# -- writing -----------------------------------------------------------------------------------

def test_eleven_records_in_one_request_are_refused_and_nothing_is_written(fake, api, people):
    status, body = failure(api.post, people.urls.records,
                           json={"records": [{"fields": {"Name": str(i)}} for i in range(11)]})

    assert status == 422 and error_type(body) == "INVALID_RECORDS"
    assert fake.records(BASE, "People") == []
    # pyairtable chunks by ten itself
    assert len(people.batch_create([{"Name": str(i)} for i in range(11)])) == 11
    assert [r.records for r in fake.requests if r.kind == "write"][-2:] == [10, 1]


def test_batch_upsert_twice_creates_then_updates_without_duplicates(fake, people):
    first = people.batch_upsert([{"fields": {"Email": f"a{i}@x.org", "Name": f"A{i}"}} for i in range(12)],
                                key_fields=["Email"])
    second = people.batch_upsert([{"fields": {"Email": f"a{i}@x.org", "Name": f"B{i}"}} for i in range(12)],
                                 key_fields=["Email"])

    assert len(first["createdRecords"]) == 12 and first["updatedRecords"] == []
    assert second["createdRecords"] == [] and second["updatedRecords"] == first["createdRecords"]
    assert [r["fields"]["Name"] for r in fake.records(BASE, "People")] == [f"B{i}" for i in range(12)]
    # a key that matches two records is ambiguous
    fake.insert(BASE, "People", [{"Email": "twin@x.org"}, {"Email": "twin@x.org"}])
    assert failure(people.batch_upsert, [{"fields": {"Email": "twin@x.org"}}], key_fields=["Email"])[0] == 422


def test_updates_and_deletes_check_record_ids(api, people):
    ada = people.create({"Name": "Ada", "Score": 1, "Notes": "x"})

    assert people.update(ada["id"], {"Score": 2})["fields"] == {"Name": "Ada", "Score": 2, "Notes": "x"}
    assert people.update(ada["id"], {"Name": "Ada"}, replace=True)["fields"] == {"Name": "Ada"}
    status, body = failure(people.batch_update, [{"id": "recNOPE0000000000", "fields": {"Name": "x"}}])
    assert (status, body["error"]["type"]) == (422, "ROW_DOES_NOT_EXIST")
    assert failure(people.delete, "recNOPE0000000000")[0] == 404
    assert failure(api.delete, people.urls.records, params={"records[]": [ada["id"]] * 1 + [
        f"rec{i:014}" for i in range(10)]})[0] == 422
    assert people.batch_delete([ada["id"]]) == [{"id": ada["id"], "deleted": True}]
    assert people.all() == []


def test_values_are_validated_normalised_and_empty_ones_omitted(people):
    record = people.create({"Name": "Ada", "Notes": "", "Tags": [], "Active": False, "Tier": None,
                            "Score": 2.25, "Joined": "2026-07-01", "Seen": "2026-07-01T12:00:00+02:00"})

    assert record["fields"] == {"Name": "Ada", "Score": 2.3, "Joined": "2026-07-01",
                                "Seen": "2026-07-01T10:00:00.000Z"}
    # no offset: the field's time zone (Berlin, UTC+1 in January) applies
    assert people.create({"Seen": "2026-01-15T09:00:00"})["fields"]["Seen"] == "2026-01-15T08:00:00.000Z"
    status, body = failure(people.create, {"Score": "three"})
    assert (status, error_type(body)) == (422, "INVALID_VALUE_FOR_COLUMN") and "Score" in body["error"]["message"]
    assert error_type(failure(people.create, {"Joined": "1 July"})[1]) == "INVALID_VALUE_FOR_COLUMN"
    assert error_type(failure(people.create, {"Active": "yes"})[1]) == "INVALID_VALUE_FOR_COLUMN"
    assert error_type(failure(people.create, {"Colour": "red"})[1]) == "UNKNOWN_FIELD_NAME"


def test_a_text_cell_holds_at_most_100000_characters(people):
    """Airtable support documents 100,000 characters for single line and long text fields."""
    assert len(people.create({"Name": "x" * 100_000})["fields"]["Name"]) == 100_000
    for name in ("Name", "Notes"):
        status, body = failure(people.create, {name: "x" * 100_001})
        assert (status, error_type(body)) == (422, "INVALID_VALUE_FOR_COLUMN") and name in body["error"]["message"]


def test_a_new_select_choice_needs_typecast(people):
    status, body = failure(people.create, {"Name": "x", "Tier": "Platinum"})
    assert (status, error_type(body)) == (422, "INVALID_MULTIPLE_CHOICE_OPTIONS")

    record = people.create({"Name": "x", "Tier": "Platinum", "Tags": ["a", "new"]}, typecast=True)

    assert record["fields"]["Tier"] == "Platinum" and record["fields"]["Tags"] == ["a", "new"]
    schema = people.schema(force=True)
    assert [c.name for c in schema.field("Tier").options.choices] == ["Gold", "Silver", "Platinum"]
    assert [c.name for c in schema.field("Tags").options.choices] == ["a", "b", "new"]


# -- limits, faults, auth ------------------------------------------------------------------------

def test_the_sixth_request_in_a_second_is_429_until_the_penalty_has_passed(clock):
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=clock.now, wall=clock.wall) as fake:
        fake.create_table(BASE, "People", PEOPLE[:1])
        api = Api(TOKEN, endpoint_url=fake.url, retry_strategy=None)
        table = api.table(BASE, "People")
        for _ in range(5):
            table.all()

        assert failure(table.all) == (429, {"errors": [{"error": "RATE_LIMIT_REACHED",
                                                        "message": "Rate limit exceeded. Please try again later"}]})
        clock.advance(29.9)
        assert failure(table.all)[0] == 429  # requests during the penalty do not extend it
        assert api.whoami()["id"].startswith("usr")  # not a base request
        clock.advance(0.1)
        assert table.all() == []


def run_with_faults(seed: int) -> tuple[list, list, list]:
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), rate_limit_per_second=None) as fake:
        fake.create_table(BASE, "People", PEOPLE[:1])
        fake.faults = Faults(rate_429=0.2, rate_5xx=0.2, rate_drop=0.2, rate_lost_reply=0.2, seed=seed)
        table = Api(TOKEN, endpoint_url=fake.url, retry_strategy=None).table(BASE, "People")
        outcomes = []
        for i in range(40):
            try:
                table.create({"Name": f"r{i}"})
                outcomes.append("ok")
            except requests.HTTPError as e:
                outcomes.append(e.response.status_code)
            except requests.ConnectionError:
                outcomes.append("no reply")
        stored = [r["fields"]["Name"] for r in fake.records(BASE, "People")]
        return outcomes, [r.fault for r in fake.requests], stored


def test_fault_injection_is_deterministic_and_only_lost_replies_are_applied():
    outcomes, faults, stored = run_with_faults(seed=7)

    assert (outcomes, faults, stored) == run_with_faults(seed=7)
    assert set(faults) == {None, "429", "5xx", "drop", "lost_reply"}
    expected = {None: "ok", "429": 429, "drop": "no reply", "lost_reply": "no reply"}
    assert all(o in (500, 502, 503) if f == "5xx" else o == expected[f] for o, f in zip(outcomes, faults))
    assert stored == [f"r{i}" for i, f in enumerate(faults) if f in (None, "lost_reply")]


def test_a_lost_reply_still_applies_the_write(fake, people):
    fake.faults = Faults(rate_lost_reply=1.0)

    with pytest.raises(requests.ConnectionError):
        people.create({"Name": "Ada"})

    assert [r["fields"] for r in fake.records(BASE, "People")] == [{"Name": "Ada"}]
    assert (fake.requests[-1].status, fake.requests[-1].fault) == (200, "lost_reply")


def test_wrong_token_unknown_base_and_unknown_table(fake, api):
    wrong = Api("patWRONG.token", endpoint_url=fake.url, retry_strategy=None)
    assert failure(wrong.table(BASE, "People").all) == (
        401, {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}})
    for table in (api.table("appNOPE0000000000", "People"), api.table(BASE, "Nope")):
        status, body = failure(table.all)
        assert (status, error_type(body)) == (403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")


# -- schema --------------------------------------------------------------------------------------

def test_tables_and_fields_are_created_through_the_metadata_api(fake, api):
    base = api.base(BASE)
    events = base.create_table("Events", [
        {"name": "Title", "type": "singleLineText"},
        {"name": "Starts", "type": "dateTime", "options": {"dateFormat": {"name": "iso"},
                                                           "timeFormat": {"name": "24hour"}, "timeZone": "utc"}},
    ])

    seats = events.create_field("Seats", "number", options={"precision": 0})

    assert events.schema().field("Starts").type == "dateTime" and seats.type == "number"
    assert [f.name for f in api.table(BASE, "Events").schema(force=True).fields] == ["Title", "Starts", "Seats"]
    assert [t.name for t in base.tables(force=True)] == ["People", "Events"]
    assert events.create({"Seats": 12.4})["fields"] == {"Seats": 12}
    seats.name = "Places"
    seats.save()  # PATCH .../fields/{fieldId}
    assert [f["name"] for f in fake.tables(BASE)[1]["fields"]] == ["Title", "Starts", "Places"]
    refusals = [
        (base.create_table, ("events", [{"name": "Title", "type": "singleLineText"}]), "DUPLICATE_TABLE_NAME"),
        (events.create_field, ("places", "number"), "DUPLICATE_OR_EMPTY_FIELD_NAME"),
        (events.create_field, ("Price", "number"), "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
        (events.create_field, ("Pick", "singleSelect"), "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
        (events.create_field, ("Calc", "formula"), "UNSUPPORTED_FIELD_TYPE_FOR_CREATE"),
    ]
    for call, args, expected in refusals:
        status, body = failure(call, *args)
        assert (status, error_type(body)) == (422, expected)
    with pytest.raises(ValueError):  # seeding validates like the API
        fake.create_table(BASE, "Bad", [{"name": "When", "type": "date"}])


def test_a_table_description_is_served_and_changed_as_the_metadata_api_does(fake, api):
    """A description given at creation comes back in the schema, a PATCH of the table changes it (pyairtable's
    TableSchema.save), a table without one has none, and one past 20,000 characters is refused."""
    base = api.base(BASE)
    log = base.create_table("Log", [{"name": "Key", "type": "singleLineText"}], description="Kept by a program.")
    assert log.schema().description == "Kept by a program."
    assert api.table(BASE, "People").schema().description is None
    schema = log.schema(force=True)
    schema.description = "Changed."
    schema.save()  # PATCH .../tables/{tableId}
    assert base.table("Log").schema(force=True).description == "Changed."
    assert [t.get("description") for t in fake.tables(BASE)] == [None, "Changed."]
    status, _body = failure(base.create_table, "Long", [{"name": "Key", "type": "singleLineText"}],
                           description="x" * 20_001)
    assert status == 422 and "Long" not in [t["name"] for t in fake.tables(BASE)]
