from specialize.data.word_shape import (
    SHAPE_CAPITALIZED,
    SHAPE_DIGIT,
    SHAPE_LOWER,
    SHAPE_MIXED,
    SHAPE_OTHER,
    SHAPE_SPECIAL,
    SHAPE_UPPER,
    shape_of,
    word_shape_ids,
)


def test_shapes_of_words():
    assert shape_of("disease") == SHAPE_LOWER
    assert shape_of("Paris") == SHAPE_CAPITALIZED
    assert shape_of("A") == SHAPE_CAPITALIZED
    assert shape_of("BRCA1") == SHAPE_UPPER
    assert shape_of("McDonald") == SHAPE_MIXED
    assert shape_of("mRNA") == SHAPE_MIXED
    assert shape_of("1996") == SHAPE_DIGIT
    assert shape_of("(") == SHAPE_OTHER
    assert shape_of("Émile") == SHAPE_CAPITALIZED


def test_subwords_take_their_words_shape():
    text = "Obama met"
    # "obama" split into two pieces, then "met"; None marks special tokens.
    offsets = [(0, 0), (0, 3), (3, 5), (6, 9), (0, 0)]
    word_ids = [None, 0, 0, 1, None]
    assert word_shape_ids(text, offsets, word_ids) == [
        SHAPE_SPECIAL,
        SHAPE_CAPITALIZED,
        SHAPE_CAPITALIZED,
        SHAPE_LOWER,
        SHAPE_SPECIAL,
    ]
