"""deploy/kubernetes: schema-valid manifests, and the properties that keep trousseau safe.

Validation uses the JSON schemas shipped inside the kubernetes-validate wheel (no network), in
strict mode: an unknown or misspelt field is an error, not silently dropped by the API server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from dockerfile_parse import DockerfileParser
from kubernetes_validate.utils import all_versions

from tests.deploy.artefacts import (
    DOCKERFILE,
    KUBERNETES,
    configured_settings,
    load_yaml_documents,
)
from trousseau.settings import JobSettings, Settings

NAMESPACE = "trousseau"
SHIPPED_VERSIONS = {version.rsplit(".", 1)[0] for version in all_versions()}
# The oldest Kubernetes minor we promise to run on, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30", max(SHIPPED_VERSIONS, key=lambda v: tuple(map(int, v.split(".")))))
SECRET_EXAMPLE = "secret.example.yaml"
PLACEHOLDER = "REPLACE_ME"
# Past the worker's shutdown grace: time to release leases and stop the job processes.
SHUTDOWN_MARGIN_SECONDS = 15
# A job process decoding a 24 MP photo and its variant cascade stays well under this.
MIN_MEMORY_PER_JOB_PROCESS = 512 * 2**20
PHASE_LABEL = "trousseau/phase"


def _manifest_files() -> list[Path]:
    return sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


MANIFESTS = [(path, doc) for path in _manifest_files() for doc in load_yaml_documents(path)]


def _id(item: tuple[Path, dict[str, Any]]) -> str:
    path, doc = item
    return f"{path.name}:{doc['kind']}/{doc['metadata']['name']}"


def _objects(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in MANIFESTS if doc["kind"] == kind}


def _one(kind: str, name: str) -> dict[str, Any]:
    return _objects(kind)[name]


def _pod_templates() -> Iterator[tuple[str, dict[str, Any]]]:
    for _, doc in MANIFESTS:
        if doc["kind"] in ("Deployment", "Job"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]


def _containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for owner, template in _pod_templates():
        spec = template["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield f"{owner}/{container['name']}", container


def _cpu(quantity: str) -> Decimal:
    return Decimal(quantity[:-1]) / 1000 if quantity.endswith("m") else Decimal(quantity)


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def _bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMGT]i)?", quantity).groups()
    return int(number) * _BINARY.get(unit or "", 1)


def test_validator_ships_the_schemas() -> None:
    missing = set(KUBERNETES_VERSIONS) - SHIPPED_VERSIONS
    assert not missing, f"kubernetes-validate no longer ships schemas for {missing}"


def test_manifests_found() -> None:
    kinds = sorted(doc["kind"] for _, doc in MANIFESTS)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "Deployment",
            "Job",
            "Namespace",
            "PersistentVolumeClaim",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "ServiceAccount",
        ]
    )


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("item", MANIFESTS, ids=_id)
def test_manifest_is_valid_kubernetes(item: tuple[Path, dict[str, Any]], version: str) -> None:
    _, doc = item
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{_id(item)} is invalid for Kubernetes {version}: {where}: {exc.message}")


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    (kustomization,) = load_yaml_documents(KUBERNETES / "kustomization.yaml")
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    expected = {p.name for p in _manifest_files()} - {SECRET_EXAMPLE}
    assert set(listed) == expected
    assert kustomization["namespace"] == NAMESPACE
    (image,) = kustomization["images"]
    assert image["newTag"] not in ("", "latest")


def test_everything_is_in_the_namespace() -> None:
    for item in MANIFESTS:
        _, doc = item
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == NAMESPACE
        else:
            assert doc["metadata"].get("namespace") == NAMESPACE, _id(item)


def test_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = _one("Namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pods_run_as_the_image_user_never_root() -> None:
    """Pod Security "restricted", and the uid the Dockerfile's USER gives the image."""
    user = [
        s["value"]
        for s in DockerfileParser(path=str(DOCKERFILE)).structure
        if s["instruction"] == "USER"
    ]
    image_uid = int(user[-1].split(":")[0])
    for owner, template in _pod_templates():
        spec = template["spec"]
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True, owner
        assert security["runAsUser"] == image_uid != 0, owner
        assert security["runAsGroup"] != 0, owner
        assert security["seccompProfile"]["type"] == "RuntimeDefault", owner
        assert spec["automountServiceAccountToken"] is False, owner
        assert spec["serviceAccountName"] == "trousseau", owner
        # Service links would add TROUSSEAU_API_SERVICE_HOST & co. to the settings' namespace.
        assert spec["enableServiceLinks"] is False, owner
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), owner
        assert all("hostPath" not in v for v in spec.get("volumes", [])), owner


def test_containers_are_locked_down() -> None:
    for owner, container in _containers():
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, owner
        assert security["readOnlyRootFilesystem"] is True, owner
        assert security["capabilities"]["drop"] == ["ALL"], owner
        assert not security.get("privileged"), owner
        assert "add" not in security["capabilities"], owner


def test_read_only_containers_get_a_bounded_writable_tmp() -> None:
    for owner, template in _pod_templates():
        volumes = {v["name"]: v for v in template["spec"]["volumes"]}
        for volume in volumes.values():
            if "emptyDir" in volume:
                assert "sizeLimit" in volume["emptyDir"], f"{owner}: unbounded, can fill the node"
        for container in template["spec"]["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], owner


def test_every_container_has_requests_and_limits() -> None:
    for owner, container in _containers():
        resources = container["resources"]
        for kind in ("cpu", "memory"):
            request, limit = resources["requests"][kind], resources["limits"][kind]
            convert = _cpu if kind == "cpu" else _bytes
            assert 0 < convert(request) <= convert(limit), f"{owner} {kind}"


def test_images_are_pinned_and_the_same_everywhere() -> None:
    images = {container["image"] for _, container in _containers()}
    assert len(images) == 1, images
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{image} has no tag"
    assert tag != "latest"
    (kustomization,) = load_yaml_documents(KUBERNETES / "kustomization.yaml")
    (override,) = kustomization["images"]
    assert override["name"] == name


def test_containers_read_the_config_map_and_the_secret() -> None:
    config_maps, secrets = set(_objects("ConfigMap")), set(_objects("Secret"))
    for owner, container in _containers():
        sources = container["envFrom"]
        assert {s["configMapRef"]["name"] for s in sources if "configMapRef" in s} == config_maps
        assert {s["secretRef"]["name"] for s in sources if "secretRef" in s} == secrets, owner
        for env in container.get("env", []):
            assert "value" in env or "valueFrom" in env, owner


def test_config_map_names_only_real_settings() -> None:
    """pydantic-settings ignores an unknown top-level TROUSSEAU_* variable: a typo is silent."""
    data = _one("ConfigMap", "trousseau-config")["data"]
    secret = _one("Secret", "trousseau-secrets")["stringData"]
    for key in [*data, *secret]:
        if not key.startswith("TROUSSEAU_"):
            assert key.startswith("AWS_"), key
            continue
        model: Any = Settings
        for part in key.removeprefix("TROUSSEAU_").lower().split("__"):
            assert part in model.model_fields, f"{key} is not a trousseau setting"
            model = model.model_fields[part].annotation
    # Kubernetes wants strings: an unquoted 30 or false in YAML is rejected at apply time.
    assert all(isinstance(value, str) for value in [*data.values(), *secret.values()])


def test_config_map_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configured_settings(monkeypatch)
    assert settings.catalog_url.startswith("postgresql+psycopg://")
    assert settings.vault_url.startswith("s3://")
    # On PostgreSQL only the migration Job changes the schema.
    assert settings.auto_migrate is False
    assert set(settings.sla_classes) == {"same-day", "next-day", "standard"}
    assert "AWS_ACCESS_KEY_ID" not in settings.vault_url


def test_secret_holds_only_placeholders() -> None:
    secrets = _objects("Secret")
    assert set(secrets) == {"trousseau-secrets"}
    secret = secrets["trousseau-secrets"]
    assert "data" not in secret, "base64 data hides what is committed: use stringData"
    values = secret["stringData"]
    assert {"TROUSSEAU_CATALOG_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(values)
    for key, value in values.items():
        assert PLACEHOLDER in value, f"{key} must be a {PLACEHOLDER} placeholder"
    # the catalog URL's password is the placeholder itself
    assert re.fullmatch(
        rf"postgresql\+psycopg://\w+:{PLACEHOLDER}@.+", values["TROUSSEAU_CATALOG_URL"]
    )
    # and nothing else in the tree carries a password
    config = _one("ConfigMap", "trousseau-config")["data"]
    assert not any(re.search(r"://[^/@\s]+:[^/@\s]+@", value) for value in config.values())


def test_api_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configured_settings(monkeypatch)
    api = _one("Deployment", "trousseau-api")
    spec = api["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]
    assert spec["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    assert container["args"][0] == "serve" and "--no-worker" in container["args"]
    assert container["args"][container["args"].index("--port") + 1] == "8000"
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    probes = {kind: container[kind] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"
    for probe in probes.values():
        assert probe["httpGet"]["port"] == "http"
        assert probe["timeoutSeconds"] <= probe["periodSeconds"]
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == "8000"
    assert annotations["prometheus.io/path"] == "/metrics"
    # preStop sleep, then uvicorn finishes requests within the shutdown grace
    sleep = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    grace = settings.jobs.shutdown_grace_seconds
    assert pod["spec"]["terminationGracePeriodSeconds"] >= sleep + grace + SHUTDOWN_MARGIN_SECONDS
    # uploads are spooled under the data dir: it must be writable despite the read-only root
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts[str(settings.data_dir)]]


def test_service_and_disruption_budget_select_the_api_pods() -> None:
    pod_labels = _one("Deployment", "trousseau-api")["spec"]["template"]["metadata"]["labels"]
    service = _one("Service", "trousseau-api")["spec"]
    assert service["type"] == "ClusterIP"
    assert service["selector"].items() <= pod_labels.items()
    assert service["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    budget = _one("PodDisruptionBudget", "trousseau-api")["spec"]
    assert budget["selector"]["matchLabels"].items() <= pod_labels.items()
    replicas = _one("Deployment", "trousseau-api")["spec"]["replicas"]
    assert 1 <= budget["minAvailable"] < replicas, "a budget equal to replicas blocks every drain"


def test_worker_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configured_settings(monkeypatch)
    worker = _one("Deployment", "trousseau-worker")
    spec = worker["spec"]
    pod = spec["template"]
    assert spec["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert spec["minReadySeconds"] > 0, "without probes, only minReadySeconds catches a crash"
    (container,) = pod["spec"]["containers"]
    args = container["args"]
    assert args[0] == "work"
    processes = int(args[args.index("--workers") + 1])
    assert processes >= 1
    # `trousseau work` serves no HTTP: an HTTP probe would restart every worker.
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert "httpGet" not in container.get(kind, {}), kind
    assert "ports" not in container
    # SIGTERM lets running jobs finish within the shutdown grace; Kubernetes must wait longer.
    grace = settings.jobs.shutdown_grace_seconds
    assert pod["spec"]["terminationGracePeriodSeconds"] >= grace + SHUTDOWN_MARGIN_SECONDS
    # One core per job process (libvips threads per process: vips_concurrency).
    threads = settings.imaging.vips_concurrency or 1
    assert _cpu(container["resources"]["requests"]["cpu"]) >= processes * threads
    memory = _bytes(container["resources"]["requests"]["memory"])
    assert memory >= processes * MIN_MEMORY_PER_JOB_PROCESS


def test_worker_grace_covers_the_default_shutdown_grace() -> None:
    """Also true for the default, should the ConfigMap stop setting it."""
    pod = _one("Deployment", "trousseau-worker")["spec"]["template"]["spec"]
    grace = JobSettings().shutdown_grace_seconds
    assert pod["terminationGracePeriodSeconds"] >= grace + SHUTDOWN_MARGIN_SECONDS


def test_migration_job_runs_init_and_can_run_first() -> None:
    job = _one("Job", "trousseau-migrate")
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["init"]
    assert pod["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["activeDeadlineSeconds"] > 0
    # `kubectl apply -k deploy/kubernetes -l trousseau/phase=pre-rollout` must create the Job
    # and everything it needs except the out-of-band Secret, and nothing that rolls out.
    phase = {
        f"{doc['kind']}/{doc['metadata']['name']}"
        for _, doc in MANIFESTS
        if doc["metadata"].get("labels", {}).get(PHASE_LABEL) == "pre-rollout"
    }
    assert phase == {
        "Namespace/trousseau",
        "ServiceAccount/trousseau",
        "ConfigMap/trousseau-config",
        "Job/trousseau-migrate",
    }


def test_api_replicas_share_the_upload_spool() -> None:
    """A resumable upload may continue on any API pod: the spool is one RWX volume."""
    claims = {
        d["metadata"]["name"]: d for _, d in MANIFESTS if d["kind"] == "PersistentVolumeClaim"
    }
    api = next(
        d
        for _, d in MANIFESTS
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "trousseau-api"
    )
    pod = api["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    spool = env["TROUSSEAU_WEB__SPOOL_DIR"]
    claim = volumes[mounts[spool]]["persistentVolumeClaim"]["claimName"]
    assert claims[claim]["spec"]["accessModes"] == ["ReadWriteMany"]
