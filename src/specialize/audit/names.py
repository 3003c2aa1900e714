"""Name lists for the bias audit: given names by origin and gender, surnames by origin.

Where the names come from: the project wrote these lists by hand (they are not copied from any dataset), from
general knowledge of given names and surnames that are common in each region, of the kind that national
birth-name and surname statistics rank high. Six origins (Anglo: UK/US/Australia; Hispanic: Spain and Latin
America; African: Sub-Saharan, mostly Nigeria, Ghana, Kenya and South Africa; South Asian: India, mostly Hindi,
Tamil, Telugu, Bengali and Marathi names; East Asian: China, Japan, Korea in their usual romanisation;
Arabic: the Levant, the Gulf, Egypt and the Maghreb) times two genders (female, male) give twelve groups.

How they were chosen, so that the groups differ in the names and in little else:

* exactly 24 given names per origin and gender and 24 surnames per origin (balanced: every group draws from
  lists of the same size), all distinct within a list;
* one word each, plain ASCII letters (accents and hyphens dropped: "Lucia", not "Lucía"; "Masri", not
  "al-Masri"), so that a gap between groups is not a gap in handling diacritics or hyphenated tokens;
* no name that is also a common English word, a country, city or company name, or a well-known person's
  full name ("Jordan", "Paris", "Hope" and "Grace" are out), so that a model is not rewarded for a type it
  would have given the word anyway;
* given names chosen to be read as the group's gender by most readers, names common to two origins
  (e.g. "Lee", "Nadia", "Andrea") avoided, and surnames not repeated across origins.

The lists are small and written by people; they sample each group, they do not represent it, and gender here
is the conventional reading of a given name, not anyone's identity. Add groups with :class:`NameGroup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from specialize.errors import ConfigError


class Origin(StrEnum):
    ANGLO = "anglo"
    HISPANIC = "hispanic"
    AFRICAN = "african"
    SOUTH_ASIAN = "south-asian"
    EAST_ASIAN = "east-asian"
    ARABIC = "arabic"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"


@dataclass(frozen=True)
class NameGroup:
    """Names one audit variant draws from: given names of one origin and gender, surnames of that origin."""

    origin: str
    gender: str
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.origin}-{self.gender}"

    def __post_init__(self) -> None:
        for kind, names in (("first_names", self.first_names), ("surnames", self.surnames)):
            if not names:
                raise ConfigError(f"name group {self.name}: {kind} is empty; give at least one name")
            bad = [n for n in names if not n or n.split() != [n]]
            if bad:
                raise ConfigError(f"name group {self.name}: {kind} must be single words without spaces, got {bad}")


_FIRST: dict[tuple[Origin, Gender], str] = {
    (Origin.ANGLO, Gender.FEMALE): "Emily Sarah Jessica Hannah Rachel Megan Lauren Abigail Katherine Rebecca Amanda "
    "Jennifer Elizabeth Samantha Allison Melissa Stephanie Kimberly Natalie Caroline Emma Olivia Susan Deborah",
    (Origin.ANGLO, Gender.MALE): "James John Robert Michael William David Richard Thomas Christopher Matthew Andrew "
    "Joshua Daniel Benjamin Samuel Timothy Jonathan Nathan Edward Gregory Stephen Patrick Kevin Brian",
    (Origin.HISPANIC, Gender.FEMALE): "Maria Carmen Lucia Sofia Isabel Gabriela Valentina Camila Daniela Fernanda "
    "Alejandra Mariana Ximena Paula Veronica Adriana Beatriz Marisol Yolanda Graciela Lorena Elena Rocio Marisela",
    (Origin.HISPANIC, Gender.MALE): "Jose Juan Carlos Luis Miguel Jorge Alejandro Fernando Javier Diego Ricardo "
    "Eduardo Francisco Raul Sergio Alberto Roberto Manuel Rafael Pablo Andres Ramon Emilio Gustavo",
    (Origin.AFRICAN, Gender.FEMALE): "Chiamaka Ngozi Adaeze Folake Funmilayo Yetunde Abena Akosua Efua Adwoa Wanjiru "
    "Njeri Achieng Makena Nomvula Thandiwe Zanele Nokuthula Busisiwe Chinwe Ifeoma Nkechi Titilayo Amara",
    (Origin.AFRICAN, Gender.MALE): "Chukwuemeka Oluwaseun Babatunde Adebayo Olumide Chinedu Obinna Ikechukwu Kwame "
    "Kofi Kwabena Kojo Yaw Otieno Kamau Kiprono Thabo Sipho Themba Bongani Mandla Tendai Emeka Femi",
    (Origin.SOUTH_ASIAN, Gender.FEMALE): "Priya Ananya Deepika Kavya Lakshmi Meera Neha Pooja Sunita Anjali Divya "
    "Shreya Aishwarya Swati Nandini Radhika Sneha Kavita Shalini Preeti Rekha Madhuri Sangeeta Tanvi",
    (Origin.SOUTH_ASIAN, Gender.MALE): "Rahul Amit Arjun Vikram Rajesh Sanjay Suresh Anil Ravi Rohit Vivek Aditya "
    "Karthik Pranav Manoj Deepak Harish Nikhil Sandeep Gaurav Abhishek Siddharth Venkatesh Arun",
    (Origin.EAST_ASIAN, Gender.FEMALE): "Mei Xiaoling Jing Fang Xiaomei Lihua Yingying Huifang Haruka Sakura Aiko "
    "Keiko Yoko Akiko Emiko Misaki Ayaka Minji Jiyeon Seoyeon Eunji Hyejin Yuna Soojin",
    (Origin.EAST_ASIAN, Gender.MALE): "Wei Jian Hao Jun Lei Qiang Zhiwei Haoran Yong Tao Hiroshi Takeshi Kenji "
    "Daisuke Haruto Takumi Satoshi Kazuki Minho Jihoon Seojun Dongwook Sungmin Hyunwoo",
    (Origin.ARABIC, Gender.FEMALE): "Fatima Aisha Mariam Layla Huda Rania Samira Yasmin Amira Salma Dalia Hana "
    "Zainab Khadija Rasha Maha Suha Reem Ghada Manal Nawal Asma Hiba Lubna",
    (Origin.ARABIC, Gender.MALE): "Mohammed Ahmed Ali Omar Khalid Hassan Hussein Youssef Ibrahim Mustafa Tariq Karim "
    "Faisal Saeed Walid Abdullah Hamza Bilal Nabil Samir Rashid Majid Jamal Adel",
}

_SURNAMES: dict[Origin, str] = {
    Origin.ANGLO: "Smith Johnson Williams Bennett Taylor Anderson Thompson Wilson Moore Harris Clark Lewis Robinson "
    "Walker Wright Mitchell Campbell Edwards Collins Stewart Morris Murphy Cooper Richardson",
    Origin.HISPANIC: "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera "
    "Gomez Diaz Morales Reyes Cruz Ortiz Gutierrez Chavez Ramos Vargas Castillo Jimenez",
    Origin.AFRICAN: "Okafor Okonkwo Adeyemi Balogun Olawale Nwosu Eze Chukwu Mensah Asante Boateng Owusu Osei Appiah "
    "Odhiambo Kiplagat Mutua Wanjala Ndlovu Dlamini Khumalo Nkosi Mokoena Phiri",
    Origin.SOUTH_ASIAN: "Sharma Patel Gupta Singh Reddy Iyer Nair Rao Joshi Mehta Desai Verma Chatterjee Banerjee "
    "Mukherjee Pillai Menon Agarwal Malhotra Kapoor Bhatt Srinivasan Krishnan Kulkarni",
    Origin.EAST_ASIAN: "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Sato Suzuki Takahashi Tanaka Watanabe Ito "
    "Yamamoto Nakamura Kim Yoon Park Choi Jung Kang",
    Origin.ARABIC: "Haddad Khoury Mansour Nasser Saleh Hamdan Qasim Farouk Aziz Masri Shami Halabi Najjar Sabbagh "
    "Darwish Bakri Awad Ghanem Suleiman Jaber Abboud Tahan Kanaan Zaher",
}

NAME_GROUPS: tuple[NameGroup, ...] = tuple(
    NameGroup(origin.value, gender.value, tuple(_FIRST[origin, gender].split()), tuple(_SURNAMES[origin].split()))
    for origin in Origin
    for gender in Gender
)


def name_groups(names: list[str] | None = None) -> list[NameGroup]:
    """The built-in groups, all or those named (e.g. ``["anglo-female", "arabic-male"]``)."""
    if names is None:
        return list(NAME_GROUPS)
    known = {g.name: g for g in NAME_GROUPS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"unknown name group(s) {unknown}; choose from: {', '.join(known)}")
    return [known[n] for n in names]
