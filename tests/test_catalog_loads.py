"""The bundled catalog loads and holds the whole article."""

from labguide.catalog import load_catalog


def test_bundled_catalog_has_the_articles_steps_and_goals() -> None:
    catalog = load_catalog()

    article_steps = [step for step in catalog.steps if step.article]
    assert [step.number for step in article_steps] == list(range(1, 13))
    assert len(catalog.goals) == 7
    assert catalog.steps[-1].action == "tear-down"
