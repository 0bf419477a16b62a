"""Sentences the backend tests translate with the tiny models (our own text), and where the shared
corpus of real Kazakh news text lies."""

from pathlib import Path

#: The shared corpus of real news text, beside the checkout (or beside its folder of worktrees); the tests
#: that read it skip when it is absent.
CORPUS = next((folder / "shared" / "corpus" for folder in Path(__file__).resolve().parents[2:4]
               if (folder / "shared" / "corpus").is_dir()), Path(__file__).resolve().parents[2] / "shared" / "corpus")

KAZAKH = [
    "Қала әкімі жаңа мектеп туралы айтты.",
    "Жиналыс сағат онда басталады.",
    "Қыста Алматыда қар көп жауды.",
    "Өзен жағасында саябақ салынып жатыр.",
    "Әнші жаңа әнін көрермендерге ұсынды.",
]
ENGLISH = [
    "The city mayor talked about the new school.",
    "The meeting starts at ten o'clock.",
    "In winter a lot of snow fell in Almaty.",
    "A park is being built on the river bank.",
    "The singer presented her new song.",
]
