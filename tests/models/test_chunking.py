import random

import pytest

from specialize.data.chunking import make_windows


def test_short_document_is_one_window():
    assert len(make_windows([0, 1, 2], 3, max_tokens=10, stride=2)) == 1


@pytest.mark.parametrize("seed", range(5))
def test_windows_cover_every_token_and_own_every_word_once(seed):
    rng = random.Random(seed)
    for _ in range(300):
        n = rng.randint(1, 400)
        word_starts = sorted({0, *rng.sample(range(n), rng.randint(0, n - 1))})
        max_tokens = rng.randint(2, 50)
        stride = rng.randint(0, max_tokens - 1)
        windows = make_windows(word_starts, n, max_tokens, stride)
        covered = set()
        for w in windows:
            assert 0 < w.end - w.start <= max_tokens
            covered.update(range(w.start, w.end))
            for word in range(w.own_start, w.own_end):
                assert w.start <= word_starts[word] < w.end
        assert covered == set(range(n))
        owned = [word for w in windows for word in range(w.own_start, w.own_end)]
        assert owned == list(range(len(word_starts)))


def test_windows_do_not_cut_words_when_they_can_avoid_it():
    # Words of 3 tokens each: windows of 7 tokens must end on a word boundary (6), not mid-word.
    word_starts = list(range(0, 30, 3))
    windows = make_windows(word_starts, 30, max_tokens=7, stride=3)
    for w in windows[:-1]:
        assert w.end in word_starts


def test_invalid_settings_are_rejected():
    with pytest.raises(ValueError, match="stride"):
        make_windows([0], 10, max_tokens=4, stride=4)
    with pytest.raises(ValueError, match="max_tokens"):
        make_windows([0], 10, max_tokens=1, stride=0)
