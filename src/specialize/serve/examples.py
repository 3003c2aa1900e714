"""An example text for the demo page that fits the loaded model's labels.

"Obama visited Paris." shows nothing to a disease tagger or a contract-clause classifier. Each row below is a
text written for a family of labels; the page gets the row sharing the most labels with the model (names
compared without case, and without IOB prefixes or separators). A model matching no row gets a text built
from its own label names, so it still says what the model looks for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# (task, labels the text is about, the text)
EXAMPLES: tuple[tuple[str, frozenset[str], str], ...] = (
    ("ner", frozenset({"per", "person", "loc", "gpe", "location", "org", "organization", "misc"}),
     "Angela Merkel met Emmanuel Macron in Paris to discuss the future of the European Union."),
    ("ner", frozenset({"disease", "specificdisease", "diseaseclass", "chemical", "drug", "gene"}),
     "BRCA1 mutations cause hereditary breast cancer; tamoxifen lowers the risk of a second tumour."),
    ("ner", frozenset({"person", "emailaddress", "email", "phonenumber", "phone", "creditcard", "usssn", "ssn",
                       "streetaddress", "address", "ipaddress", "iban", "dateofbirth", "age", "title", "name"}),
     "Please call Dr. Jane Smith at 212-555-0147 or write to jane.smith@example.com, 42 Elm Street, Springfield."),
    ("ner", frozenset({"court", "judge", "petitioner", "respondent", "statute", "provision", "precedent", "case",
                       "lawyer", "witness", "date", "otherperson"}),
     "The Supreme Court dismissed the appeal of the petitioner under Section 302 of the Indian Penal Code."),
    ("classification", frozenset({"cardiovascularpulmonary", "surgery", "orthopedic", "neurology", "radiology",
                                  "gastroenterology", "generalmedicine", "consulthistoryandphy"}),
     "CHIEF COMPLAINT: Chest pain and shortness of breath. HISTORY: A 62-year-old man with hypertension "
     "presents with substernal chest pressure radiating to the left arm."),
    ("classification", frozenset({"governinglaw", "parties", "agreementdate", "effectivedate", "expirationdate",
                                  "renewalterm", "cap on liability", "caponliability", "licensegrant",
                                  "noncompete", "termination for convenience", "terminationforconvenience"}),
     "This Agreement shall be governed by and construed in accordance with the laws of the State of New York, "
     "without regard to its conflict of law provisions."),
)  # fmt: skip

_SEPARATORS = re.compile(r"[\s_\-/]+")


def _key(label: str) -> str:
    return _SEPARATORS.sub("", re.sub(r"^[BIESLU]-", "", label)).lower()


def example_text(task: str, labels: Sequence[str]) -> str:
    """The example row sharing the most labels with ``labels`` for ``task`` (``"ner"``, ``"classification"``),
    else a sentence naming the labels."""
    keys = {_key(label) for label in labels}
    best, overlap = None, 0
    for row_task, row_labels, text in EXAMPLES:
        shared = len(keys & {_key(label) for label in row_labels})
        if row_task == task and shared > overlap:
            best, overlap = text, shared
    if best is not None:
        return best
    names = ", ".join(sorted(labels)[:6]) or "its labels"
    if task == "classification":
        return f"Paste a text to classify; this model chooses among: {names}."
    return f"Paste a text with mentions of {names} to see them found."
