"""Print the CPU learnability proof: ``python train/prove_learnability.py [WORKDIR]``.

Synthetic clips whose emotion only the audio (tone pitch), only the video (screen colour) or both
carry; a tiny random-initialised LLM trained through the real encoders and the feature cache;
held-out accuracy, then the same with the audio or the video features zeroed. Takes ~2 minutes
on 2 CPU cores. The test suite asserts the same numbers (tests/test_affectgpt_learnability.py).
"""

import logging
import sys
import tempfile

from affect_llm.training.learnability import prove

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    workdir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="affect-learnability-")
    result = prove(workdir)
    sys.stdout.write(result.table() + "\n")
    sys.stdout.write("timings: " + ", ".join(f"{k} {v:.0f}s" for k, v in result.timings.items()) + "\n")
