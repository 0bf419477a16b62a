"""Sentences the backend tests translate with the tiny models (our own text)."""

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
