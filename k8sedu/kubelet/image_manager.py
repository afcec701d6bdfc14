"""The kubelet's image manager: does this node have the image, must it pull, is the pull backing off?

Mirrors k/k ``pkg/kubelet/images/image_manager.go`` ``EnsureImageExists``: the
pull policy decides (``Always`` pulls on every container start; ``IfNotPresent``
only when the node lacks the image); a failed pull starts a back-off per pod
and image (``<pod uid>_<image>``), during which the kubelet only reports
``Back-off pulling image``. Pulls of one image by several pods share the
transfer, as containerd does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

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

    def __init__(self) -> None:
        self._present: dict[str, float] = {}  # image -> when it is (or will be) on this node
        self.backoff = Backoff()

    def plan(self, pod_uid: str, image: str, now: float) -> Plan:
        """Decide how container start gets ``image``; a pull is started (and shared) here."""
        present = self._present.get(image, float("inf")) <= now
        if present and images.pull_policy(image) != "Always":
            return Plan("present")
        wait = self.backoff.wait_since_update(f"{pod_uid}_{image}", now)
        if wait:
            return Plan("backoff", wait)
        done = now + (REPULL_SECONDS if present else PULL_SECONDS)
        if not present and image in self._present:
            done = self._present[image]  # another pod's pull of the same image is under way
        if images.pull_error(image) is None:
            self._present.setdefault(image, done)
        return Plan("pull", done - now)

    def pulled(self, pod_uid: str, image: str, began: float, now: float) -> tuple[Optional[str], float]:
        """The pull that began at ``began`` ended: (containerd's error or None, how long the transfer took)."""
        error = images.pull_error(image)
        if error is not None:
            self.backoff.next(f"{pod_uid}_{image}", now)
            return error, now - began
        return None, (REPULL_SECONDS if self._present[image] < began else PULL_SECONDS)
