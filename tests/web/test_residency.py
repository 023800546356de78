"""The service sends a wedding of another region to that region's service (421)."""

from __future__ import annotations

from tests.residency.test_residency import regions


def test_the_api_sends_another_regions_wedding_to_its_service(api, studio) -> None:
    from trousseau.settings import ResidencySettings

    services = api.client.app.state.services
    residency = ResidencySettings(
        region="eu", regions=regions(api.settings.vault_url, "s3://us-vault")
    )
    services.settings = api.settings.model_copy(update={"residency": residency})
    body = {"slug": "jo-and-li", "date": "2027-06-19", "timezone": "UTC", "region": "us"}
    answer = api.client.post("/api/v1/weddings", json=body, headers=studio)
    assert answer.status_code == 421, answer.text
    assert answer.headers["Location"] == "https://us.trousseau.example"
    assert answer.json()["error"]["code"] == "wrong_region"
    mine = api.client.post("/api/v1/weddings", json={**body, "slug": "ada", "region": None},
                           headers=studio)  # fmt: skip
    assert mine.status_code == 201 and mine.json()["region"] == "eu"
