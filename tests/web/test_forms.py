"""Form documents over HTTP: a PDF uploaded to a wedding, read by a worker, its result and
original served to its tenant only; not-a-PDF 415, too large 413, unreadable kept."""

from __future__ import annotations

import warnings

from trousseau.jobs import list_jobs
from trousseau.web import create_app

from ..forms.makeform import make_form
from .conftest import sha256

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient


def _upload(client, headers, data: bytes, *, wedding: str = "smith-jones", name="form.pdf"):
    return client.post(
        f"/api/v1/weddings/{wedding}/forms",
        content=data,
        headers={**headers, "Content-Type": "application/pdf", "X-Filename": name},
    )


def test_a_pdf_is_queued_then_read_into_fields(api, studio):
    data = make_form()
    response = _upload(api.client, studio, data, name="questionnaire.pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/forms/{body['id']}"
    assert (body["status"], body["result"], body["error"]) == ("queued", None, None)
    assert (body["wedding"], body["filename"]) == ("smith-jones", "questionnaire.pdf")
    assert (body["sha256"], body["bytes"]) == (sha256(data), len(data))
    assert api.vault.get_bytes(sha256(data)) == data
    with api.catalog.begin() as conn:
        (job,) = list_jobs(conn)
    assert job.kind == "forms" and job.payload == {"document_id": body["id"]}
    api.work()
    done = api.client.get(f"/api/v1/forms/{body['id']}", headers=studio).json()
    assert done["status"] == "done" and done["finished_at"] is not None
    fields = done["result"]["fields"]
    assert fields and {"page", "rect", "type", "label", "name", "value"} <= set(fields[0])
    listed = api.client.get("/api/v1/weddings/smith-jones/forms", headers=studio).json()
    assert [d["id"] for d in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    pdf = api.client.get(done["pdf_url"], headers=studio)
    assert pdf.status_code == 200 and pdf.content == data
    assert pdf.headers["content-type"] == "application/pdf"
    assert "questionnaire.pdf" in pdf.headers["content-disposition"]
    again = _upload(api.client, studio, data, name="copy.pdf")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_an_unreadable_pdf_fails_with_its_one_line_and_is_kept(api, studio):
    data = make_form()[:400]
    body = _upload(api.client, studio, data, name="truncated.pdf").json()
    api.work()
    failed = api.client.get(f"/api/v1/forms/{body['id']}", headers=studio).json()
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"].startswith("truncated.pdf ") and "\n" not in failed["error"]
    kept = api.client.get(f"/api/v1/forms/{body['id']}/pdf", headers=studio)
    assert kept.status_code == 200 and kept.content == data


def test_another_tenants_document_is_not_found(api, studio, rival):
    body = _upload(api.client, studio, make_form()).json()
    for path in (f"/api/v1/forms/{body['id']}", f"/api/v1/forms/{body['id']}/pdf"):
        response = api.client.get(path, headers=rival)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    assert api.client.get(f"/api/v1/forms/{body['id'] + 1}", headers=studio).status_code == 404
    listed = api.client.get("/api/v1/weddings/smith-jones/forms", headers=rival)
    assert listed.status_code == 404
    upload = _upload(api.client, rival, make_form(), wedding="smith-jones")
    assert upload.status_code == 404


def test_a_jpeg_is_refused_as_unsupported_media_naming_the_cause(api, studio):
    blobs = api.blobs()
    response = _upload(api.client, studio, api.jpeg(), name="scan.pdf")
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert "scan.pdf" in error["message"] and "JPEG" in error["message"]
    assert api.blobs() == blobs
    with api.catalog.begin() as conn:
        assert list_jobs(conn) == []


def test_a_pdf_over_forms_max_bytes_is_refused(api, studio):
    data = make_form()
    small = api.settings.model_copy(
        update={"forms": api.settings.forms.model_copy(update={"max_bytes": len(data) - 1})}
    )
    with TestClient(create_app(small, clock=api.clock)) as client:
        response = _upload(client, studio, data)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and "forms.max_bytes" in error["message"]
    assert sha256(data) not in api.blobs()


def test_the_wedding_page_lists_its_forms_with_their_status(api, studio, rival):
    from .test_dashboard import _sign_in

    good = _upload(api.client, studio, make_form(), name="questionnaire.pdf").json()
    bad = _upload(api.client, studio, make_form()[:400], name="<b>broken.pdf").json()
    _sign_in(api, studio)
    queued = api.client.get("/dashboard/weddings/smith-jones").text
    assert 'id="forms"' in queued and queued.count('<span class="pill queued">') == 2
    api.work()
    page = api.client.get("/dashboard/weddings/smith-jones").text
    assert f'data-document="{good["id"]}" data-status="done"' in page
    assert "10 field(s) on 2 page(s)" in page
    assert f'data-document="{bad["id"]}" data-status="failed"' in page
    assert "&lt;b&gt;broken.pdf is damaged" in page and "<b>broken" not in page
    pdf = api.client.get(f"/dashboard/forms/{good['id']}/pdf")
    assert pdf.status_code == 200 and sha256(pdf.content) == good["sha256"]
    _sign_in(api, rival)
    assert api.client.get(f"/dashboard/forms/{good['id']}/pdf").status_code == 404


def test_a_read_flat_form_has_a_fillable_copy_for_its_tenant_only(api, studio, rival):
    import io

    import pikepdf
    from bench.formgen import generate

    from trousseau.forms import read_fillable

    _, flat, _ = generate(1, "contract")
    body = _upload(api.client, studio, flat, name="contract.pdf").json()
    url = f"/api/v1/forms/{body['id']}/fillable.pdf"
    assert body["fillable_url"] is None  # not read yet
    queued = api.client.get(url, headers=studio)
    assert queued.status_code == 409 and queued.json()["error"]["code"] == "conflict"
    assert api.client.get(url, headers=rival).status_code == 404
    api.work()
    done = api.client.get(f"/api/v1/forms/{body['id']}", headers=studio).json()
    assert done["fillable_url"] == url
    response = api.client.get(url, headers=studio)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "contract-fillable.pdf" in response.headers["content-disposition"]
    back = read_fillable(response.content, name="contract-fillable.pdf")
    assert len(back.fields) == len(done["result"]["fields"])
    assert "p1.wedding_date" in {f.name for f in back.fields}
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        assert len(pdf.pages) == done["result"]["pages"]
    assert api.client.get(url, headers=rival).status_code == 404
    failed = _upload(api.client, studio, make_form()[:400], name="broken.pdf").json()
    api.work()
    refused = api.client.get(f"/api/v1/forms/{failed['id']}/fillable.pdf", headers=studio)
    assert refused.status_code == 409
