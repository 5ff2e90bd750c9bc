"""HED computed in strips: the same map as the whole image, with a fraction of its activations alive at once."""

from __future__ import annotations

import os

import pytest
import torch

from tools.backends.hed import STRIP_BYTES, HedNetwork


@pytest.fixture(scope="module")
def network() -> HedNetwork:
    torch.manual_seed(0)
    return HedNetwork().eval().to(memory_format=torch.channels_last)


@pytest.mark.parametrize("size", [(64, 64), (37, 53), (5, 3), (1, 1)])
def test_strips_give_the_map_of_the_whole_image(network, size):
    image = torch.randn(1, 3, *size) * 60
    with torch.inference_mode():
        network.strip_bytes = 2**40  # one strip: the whole image
        whole = network(image)
        network.strip_bytes = 1  # two rows a strip: every cut and edge case
        strips = network(image)
    assert strips.shape == (1, 1, *size)
    torch.testing.assert_close(strips, whole, rtol=0, atol=1e-6)


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM"))


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="resets the peak through /proc")
def test_a_512_pixel_image_needs_far_less_than_its_first_block(network):
    from modeling.memory import release_free_memory

    image = torch.randn(1, 3, 512, 512) * 60
    network.strip_bytes = STRIP_BYTES
    with torch.inference_mode():
        network(image)  # the kernels' one-off set-up
        release_free_memory()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # the peak restarts from the resident memory
        except OSError:
            pytest.skip("cannot reset the peak here")
        with open("/proc/self/status") as status:
            before = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))
        network(image)
    # Whole, the first block holds two 64 MB activations and oneDNN's buffers: ~130 MB over the resident memory
    # (~195 MB with ReLUs that are not in place); in strips ~85 MB
    assert _peak_mb() - before < 110
