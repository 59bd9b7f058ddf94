"""What the demo's statements must say, typed from the sources in /work/shared/seeds.

`FINAL_FACTS` are the data-derived facts of sections 1, 2, 6, 8 and 9 of the final statement of
20 November 2022; `BRIEFING_FACTS` those of the media briefing of 21 November 2022. Each is a
phrase that must appear in the text of the document, whatever its format.
"""

import re

MEMBERS = [
    "Envoy Counsellor of the Embassy of the People's Republic of China in the Republic of "
    "Kazakhstan Wang Tao",
    "Attaché from the Embassy of the People's Republic of China to the Republic of Kazakhstan "
    "Li Zixin",
    "Member of the Central Election Commission for Elections and Referendums of the Kyrgyz "
    "Republic Anar Dubanbayeva",
    "Expert of the Department of International Cooperation and Interaction with Participants of "
    "the Electoral Process of the Central Election Commission for Elections and Referendums of "
    "the Kyrgyz Republic Kanimet Sarbagyshev",
    "Deputy Head of the Diplomatic Mission/Head of the Office of the Embassy of the Islamic "
    "Republic of Pakistan in the Republic of Kazakhstan Altaf Hussain",
    "Chairman of the Committee of the State Duma of the Russian Federation Gennady Semigin",
    "Member of the Federation Council Committee of the Federal Assembly of the Russian "
    "Federation Alexander Vysokinsky",
    "Member of the Central Election Commission of the Russian Federation Konstantin Mazurevsky",
    "Member of the Central Commission for Elections and Referendums of the Republic of "
    "Tajikistan Khidirzoda Mahfirat Umar",
    "Member of the Central Commission for Elections and Referendums of the Republic of "
    "Tajikistan Yusufbek Shodmonbekov",
    "Head of the Secretariat of the Central Election Commission of the Republic of Uzbekistan "
    "Khudoyor Mamatov",
]
SECRETARIAT = [
    "Counsellor Iskander Baytasov",
    "Second Category Expert Fan Yingchuan",
    "administrative aide Zheng Haining",
    "administrative aide Azamat Kospanov",
]
RATS = [
    "Deputy Director of the SCO RATS Executive Committee Artur Golovanov",
    "administrative aide Chaudhary Brij Mohan Singh",
]
CANDIDATES = [
    "Karakat Abden",
    "Nurlan Auesbaev",
    "Jiguli Dairabaev",
    "Meiram Kazhyken",
    "Kassym-Jomart Tokayev",
    "Saltanat Tursynbekova",
]

FINAL_FACTS = [
    # 1. Mission members
    "18 observers in all",
    "The Mission was headed by SCO Secretary-General Zhang Ming.",
    *MEMBERS,
    "From the SCO Secretariat:",
    *SECRETARIAT,
    "From the SCO RATS Executive Committee:",
    *RATS,
    # 2. Activities
    "from 17 November to 20 November 2022",
    "On 27 September 2022, after receiving an invitation from the Ministry of Foreign Affairs "
    "of the Republic of Kazakhstan",
    "On 19 November, Head of the Mission Zhang Ming and other observers visited polling "
    "stations Nos 83, 58, 309, 111 and 314",
    # 6. Candidates
    "The six candidates were listed on the ballot papers in the following order:",
    *CANDIDATES,
    "“against all”",
    # 8. Monitoring
    "22 polling stations in four districts of Astana and one district of Akmola Region",
    # What every station had, listed as the mission's own section 8 lists it.
    "During the voting, all polling stations visited had the required information and "
    "reference materials, documents and materials provided by district commissions, emergency "
    "evacuation plans and diagrams, sanitary and hygienic requirements met",
    "no overcrowding among voters",
    "no outside interference or tensions",
    "no complaints and remarks recorded",
    # 9. Conclusions
    "met the requirements of the legislation of the Republic of Kazakhstan and the country's "
    "international obligations",
    "They noted no violations of national legislation",
    "no complaints were recorded at the polling stations visited",
]

BRIEFING_FACTS = [
    "SCO Secretary-General Zhang Ming made a statement for the media",
    "from 17 November to 20 November 2022",
    "The Mission comprised 18 accredited observers",
    "the SCO Secretariat and the SCO RATS Executive Committee",
    "The Mission visited 22 polling stations in four districts of Astana and one district of "
    "Akmola Region to monitor the voting.",
    "They noted no violations of national legislation",
    "transparent, credible, and democratic",
    "The voter turnout announced by the Central Election Commission of the Republic of "
    "Kazakhstan, 69.44 per cent, corresponds to what the observers saw.",
    "Alexander Vysokinsky",
    "Arthur Golovanov",
    "Khudoyor Mamatov",
]


def normalised(text: str) -> str:
    """Collapse whitespace (line breaks in PDFs, runs in DOCX) so phrases can be found."""
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def missing(facts: list[str], text: str) -> list[str]:
    text = normalised(text)
    return [fact for fact in facts if normalised(fact) not in text]
