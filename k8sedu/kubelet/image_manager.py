"""The kubelet's image manager: does this node have the image, must it pull, is the pull backing off?

Mirrors k/k ``pkg/kubelet/images/image_manager.go`` ``EnsureImageExists``: the
pull policy decides (``Always`` pulls on every container start; ``IfNotPresent``
only when the node lacks the image); a failed pull starts a back-off per pod
and image (``<pod uid>_<image>``), during which the kubelet only reports
``Back-off pulling image``. Pulls of one image by several pods share the
transfer, as containerd does.

A node starts with the images its node image was built with (``preloaded``:
kind bakes the control plane's, kube-proxy's, CoreDNS's, the pause image,
kindnetd's and local-path's into ``kindest/node``), so pods of those images
start without a pull (``Container image "..." already present on machine``).
containerd knows an image by its normalised reference, so ``kindest/kindnetd:x``
and ``docker.io/kindest/kindnetd:x`` are the same image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from k8sedu import images
from k8sedu.kubelet.backoff import Backoff

PULL_SECONDS = 2.0  # pull an image this node does not have
REPULL_SECONDS = 1.0  # pull policy Always, image already here: the registry only confirms the digest


@dataclass(frozen=True)
class Plan:
    """What the kubelet does for one container start: use the image, wait out a back-off, or pull."""

    action: str  # "present" | "backoff" | "pull"
    wait: float = 0.0  # back-off left, or how long the pull takes


class ImageManager:
    """The images of one node and the pull back-off of its pods."""

    def __init__(self, preloaded: Iterable[str] = ()) -> None:
        # normalised image -> when it is (or will be) on this node; the node image's own are there from the start
        self._present: dict[str, float] = {_ref(image): float("-inf") for image in preloaded}
        self.backoff = Backoff()

    def present(self, image: str, now: float) -> bool:
        """Whether ``image`` is on this node at ``now`` (``crictl images`` would list it).

        Examples
        --------
        >>> manager = ImageManager(["registry.k8s.io/pause:3.10"])
        >>> manager.present("registry.k8s.io/pause:3.10", 0.0), manager.present("nginx:1.27", 0.0)
        (True, False)
        """
        return self._present.get(_ref(image), float("inf")) <= now

    def plan(self, pod_uid: str, image: str, now: float) -> Plan:
        """Decide how container start gets ``image``; a pull is started (and shared) here."""
        present = self.present(image, now)
        key = _ref(image)
        if present and images.pull_policy(image) != "Always":
            return Plan("present")
        wait = self.backoff.wait_since_update(f"{pod_uid}_{image}", now)
        if wait:
            return Plan("backoff", wait)
        done = now + (REPULL_SECONDS if present else PULL_SECONDS)
        if not present and key in self._present:
            done = self._present[key]  # another pod's pull of the same image is under way
        if images.pull_error(image) is None:
            self._present.setdefault(key, done)
        return Plan("pull", done - now)

    def pulled(self, pod_uid: str, image: str, began: float, now: float) -> tuple[Optional[str], float]:
        """The pull that began at ``began`` ended: (containerd's error or None, how long the transfer took)."""
        error = images.pull_error(image)
        if error is not None:
            self.backoff.next(f"{pod_uid}_{image}", now)
            return error, now - began
        return None, (REPULL_SECONDS if self._present[_ref(image)] < began else PULL_SECONDS)


def _ref(image: str) -> str:
    """The image as containerd names it: ``nginx`` -> ``docker.io/library/nginx:latest``.

    Examples
    --------
    >>> _ref("kindest/kindnetd:v20250214-acbabc1a") == _ref("docker.io/kindest/kindnetd:v20250214-acbabc1a")
    True
    """
    repository, tag = images.reference(image)
    return f"{repository}@{tag[1:]}" if tag.startswith("@") else f"{repository}:{tag}"
