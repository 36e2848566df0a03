"""Regenerate the retrieval example's data files (deterministic: fixed seed).

    python make_data.py

* ``memory.npy`` — 300 documents × 32 float32 dimensions, 50 per topic, each a
  point near its topic's centre;
* ``doc_topic.csv`` — ``doc,topic`` (the document id is its row in ``memory.npy``);
* ``questions.jsonl`` — ``[question, [32 numbers]]``: six questions near a
  topic's centre (two of them near the same topic), one halfway between two
  topics, and one far from every topic.
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

TOPICS = ("astronomy", "cooking", "football", "jazz", "sailing", "taxes")
DIM, PER_TOPIC = 32, 50
HERE = pathlib.Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(2024)
    centres = rng.standard_normal((len(TOPICS), DIM))
    docs = np.repeat(centres, PER_TOPIC, axis=0) + 0.45 * rng.standard_normal((len(TOPICS) * PER_TOPIC, DIM))
    order = rng.permutation(len(docs))  # topics interleaved: ids say nothing about topics
    docs, topic_of = docs[order].astype(np.float32), np.repeat(np.arange(len(TOPICS)), PER_TOPIC)[order]
    np.save(HERE / "memory.npy", docs)
    with open(HERE / "doc_topic.csv", "w") as f:
        f.writelines(f"{i},{TOPICS[t]}\n" for i, t in enumerate(topic_of))
    questions = [centres[t] + 0.6 * rng.standard_normal(DIM) for t in (0, 1, 2, 3, 5, 2)]
    questions.append(0.5 * (centres[3] + centres[4]))  # between jazz and sailing
    questions.append(rng.standard_normal(DIM))          # about nothing in memory
    with open(HERE / "questions.jsonl", "w") as f:
        for q, v in enumerate(questions, 1):
            f.write(json.dumps([q, [round(float(x), 3) for x in v]]) + "\n")


if __name__ == "__main__":
    main()
