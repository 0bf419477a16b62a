"""The public names of ``kztranslate``: everything in ``__all__`` exists, and nothing public is left out of it."""

import kztranslate


def test_all_names_resolve():
    for name in kztranslate.__all__:
        assert getattr(kztranslate, name) is not None, name


def test_public_members_are_listed_in_all():
    public = {name for name in dir(kztranslate) if not name.startswith("_")}
    # Submodules become attributes of the package once imported; they are reached by their dotted path.
    modules = {name for name in public if type(getattr(kztranslate, name)).__name__ == "module"}
    typing_helpers = {"annotations", "TYPE_CHECKING", "Any"}
    assert public - modules - typing_helpers <= set(kztranslate.__all__)


def test_lazy_members_are_the_pipelines():
    from kztranslate import pipeline

    assert kztranslate.Translator is pipeline.Translator
    assert kztranslate.translate is pipeline.translate
