"""Synthetic news articles for the benchmarks, generated from this file's own templates.

Each article is about 600 words of English news prose: a lead, background paragraphs that
hold no claim, and attributed statements in the shapes news writing uses (direct quotes
with "said X, the ROLE", pronoun attributions, reported speech with and without "that",
mixed quotes, "according to", anonymous sources, statements by organisations, colon cues,
unattributed continuation paragraphs). Names, places, organisations, topics, numbers and
sentence shapes vary with a seeded random generator, so `articles(n, seed)` returns the
same texts on every machine. Nothing here is copied from real articles.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = ["Maria", "Tom", "Priya", "Ana", "James", "Fatima", "Liam", "Chen", "Olga", "Kwame",
         "Sofia", "Daniel", "Aisha", "Lukas", "Mei", "Carlos", "Hannah", "Rajesh", "Elena", "Samuel",
         "Yusuf", "Ingrid", "Diego", "Grace", "Tariq", "Nadia", "Peter", "Lucia", "Omar", "Helen",
         "Kenji", "Amara", "Victor", "Rosa", "Ibrahim", "Claire", "Andrei", "Zainab", "Miguel", "Ruth",
         "Hiroshi", "Leila", "Patrick", "Ama", "Sven", "Beatriz", "Nikolai", "Joy", "Arjun", "Eva"]
LAST = ["Okafor", "Becker", "Raman", "Silva", "Whitfield", "Haddad", "Murphy", "Wei", "Petrova",
        "Mensah", "Rossi", "Cohen", "Bello", "Schmidt", "Tanaka", "Alvarez", "Lindqvist", "Gupta",
        "Novak", "Adeyemi", "Kaya", "Johansson", "Moreno", "Osei", "Rahman", "Karimi", "Walsh",
        "Ferreira", "Nasser", "Brennan", "Sato", "Nwosu", "Dumont", "Castillo", "Hussein", "Laurent",
        "Ivanov", "Abdi", "Ortega", "Fischer", "Yamamoto", "Hosseini", "Gallagher", "Boateng",
        "Nilsson", "Carvalho", "Volkov", "Eze", "Mehta", "Kowalski"]
PLACES = ["Dover", "Lakeshore", "Porto", "Brackenridge", "Millbrook", "Easthaven", "Ravensworth",
          "Kingsport", "Westfield", "Ashby", "Marlow", "Northgate", "Fairview", "Redcliffe",
          "Oakridge", "Stonebridge", "Harlow", "Pinecrest", "Bayside", "Elmstead"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
OUTLETS = ["reporters", "local radio", "a news conference", "the regional paper", "a television interviewer",
           "lawmakers", "a parliamentary committee", "supporters"]
GROUPS = ["residents", "families", "workers", "small businesses", "pensioners", "students",
          "farmers", "commuters", "patients", "taxpayers", "teachers", "nurses"]
ADJ_BAD = ["unacceptable", "reckless", "deeply worrying", "a betrayal", "short-sighted", "dangerous"]
ADJ_GOOD = ["long overdue", "a fair compromise", "the right decision", "good news", "a step forward",
            "a sensible plan"]


@dataclass(frozen=True)
class Topic:
    orgs: tuple[str, ...]
    roles: tuple[str, ...]
    things: tuple[str, ...]      # noun phrases the story is about
    actions: tuple[str, ...]     # verb phrases (base form) done to a thing
    facts: tuple[str, ...]       # background sentences, {place} and {year} filled in
    anon: str                    # who an anonymous source works for


TOPICS = [
    Topic(orgs=("Lumen Energy", "Northwind Power", "the Coastal Grid Authority"),
          roles=("chief executive", "plant manager", "energy minister", "union leader", "spokeswoman"),
          things=("the coal plant", "the new wind farm", "electricity prices", "the grid upgrade",
                  "the closure plan", "the subsidy scheme"),
          actions=("close", "delay", "expand", "sell", "review", "fund"),
          facts=("The plant in {place} opened in {year} and once employed more than {num} people.",
                 "Power prices in the region have risen by {pct} percent since {year}.",
                 "The site sits on the edge of {place}, beside a river used for cooling water.",
                 "Regulators approved the last major upgrade to the network in {year}."),
          anon="ministry"),
    Topic(orgs=("St Anne's Hospital", "the Regional Health Board", "the Nurses' Association"),
          roles=("health secretary", "hospital director", "chief nurse", "spokesman", "surgeon"),
          things=("the emergency ward", "waiting times", "the vaccination drive", "hospital funding",
                  "the new clinic", "staffing levels"),
          actions=("reopen", "cut", "expand", "audit", "fund", "restructure"),
          facts=("The hospital in {place} serves about {num} patients a year.",
                 "Waiting lists in the region grew by {pct} percent between {year} and last year.",
                 "The emergency ward was last refurbished in {year}.",
                 "A review published in {year} found the building needed urgent repairs."),
          anon="health department"),
    Topic(orgs=("the City Council", "the Transit Authority", "the Commuters' Alliance"),
          roles=("mayor", "transport commissioner", "council leader", "campaign director", "engineer"),
          things=("the tram line", "bus fares", "the bridge repairs", "the bypass", "the cycle network",
                  "the parking charges"),
          actions=("build", "freeze", "scrap", "postpone", "extend", "approve"),
          facts=("The bridge at {place} carries about {num} vehicles a day.",
                 "Fares have risen by {pct} percent since {year}.",
                 "The tram line was first proposed in {year} and has been redesigned twice since.",
                 "Traffic in the centre of {place} is among the slowest in the country."),
          anon="council"),
    Topic(orgs=("the District Court", "the Prosecutor's Office", "Halden & Pryce"),
          roles=("prosecutor", "defence lawyer", "judge", "police chief", "spokeswoman"),
          things=("the fraud case", "the evidence", "the appeal", "the investigation", "the verdict",
                  "the settlement"),
          actions=("challenge", "review", "dismiss", "reopen", "delay", "settle"),
          facts=("The trial in {place} began in {month} and has heard from {num} witnesses.",
                 "Investigators seized records dating back to {year}.",
                 "The company was founded in {place} in {year}.",
                 "The case is one of the largest of its kind in the region's history."),
          anon="police"),
    Topic(orgs=("the Ministry of Finance", "the Central Bank", "the Chamber of Commerce"),
          roles=("finance minister", "central bank governor", "economist", "chief executive", "spokesman"),
          things=("interest rates", "the budget", "the tax reform", "inflation", "public spending",
                  "the trade deal"),
          actions=("raise", "cut", "reform", "freeze", "renegotiate", "approve"),
          facts=("Inflation stood at {pct} percent in {month}, the highest since {year}.",
                 "The economy of the region is worth about {num} million dollars a year.",
                 "Exporters in {place} sell most of their goods abroad.",
                 "The last major tax reform was passed in {year}."),
          anon="finance ministry"),
    Topic(orgs=("the Education Authority", "Harbour Academy", "the Teachers' Union"),
          roles=("education minister", "head teacher", "union secretary", "school governor", "spokeswoman"),
          things=("the school merger", "class sizes", "exam results", "the building programme",
                  "teacher pay", "the new curriculum"),
          actions=("approve", "delay", "reverse", "fund", "review", "expand"),
          facts=("The academy in {place} has about {num} pupils.",
                 "Exam pass rates in the district rose by {pct} percent last year.",
                 "The school buildings date from {year}.",
                 "Two schools in {place} merged in {year}."),
          anon="education department"),
]

CLAUSES = [
    "{thing} would {action} within {n} months",
    "about {num} jobs could be lost if {thing} went ahead",
    "the cost of {thing} had risen to {num} million dollars",
    "{org} had not been consulted about {thing}",
    "{groups} in {place} would pay the price for {thing}",
    "the decision on {thing} was taken too quickly",
    "there was no evidence that {thing} had failed",
    "{org} would {action} {thing} by the end of {year2}",
    "the figures on {thing} published in {month} were wrong",
    "talks over {thing} would continue next week",
    "{thing} was the only realistic option for {place}",
    "nobody had explained how {thing} would be paid for",
    "the government should {action} {thing} before the election",
    "{groups} had been waiting for years for {thing}",
    "the plan for {thing} would save {num} million dollars over a decade",
    "{thing} had been mismanaged from the start",
]
STATEMENTS = [
    "We have no other choice",
    "This is {adj} for {groups} in {place}",
    "I have seen nothing that changes my mind about {thing}",
    "We will {action} {thing}, and we will do it properly",
    "Nobody in {place} asked for this",
    "The numbers simply do not add up",
    "I am confident that {thing} will work",
    "People deserve to know what {thing} will cost them",
    "We warned them about {thing} two years ago",
    "It is {adj}, and I will say so to anyone who asks",
    "Our members are angry, and they have every right to be",
    "We are listening, and we will come back with a better proposal",
    "There is still time to {action} {thing}",
    "I never said {thing} would be free",
    "This was never about money",
    "We expect a decision on {thing} before {month}",
]
FRAGMENTS = ["a disgrace", "long overdue", "the worst of both worlds", "a serious mistake",
             "completely unworkable", "a first step", "deeply unfair", "simply not credible"]
CUES_REPORTED = ["said", "said", "said", "told {outlet}", "argued", "warned", "insisted", "claimed",
                 "added", "stressed", "confirmed", "predicted"]
CUES_QUOTE = ["said", "said", "said", "added", "told {outlet}", "insisted", "warned"]
PRONOUN = {"f": ("she", "her"), "m": ("he", "his")}
FEMALE = {"Maria", "Priya", "Ana", "Fatima", "Olga", "Sofia", "Aisha", "Mei", "Hannah", "Elena",
          "Ingrid", "Grace", "Nadia", "Lucia", "Helen", "Amara", "Rosa", "Claire", "Zainab", "Ruth",
          "Leila", "Ama", "Beatriz", "Joy", "Eva"}


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    role: str
    org: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def pronoun(self) -> str:
        return PRONOUN["f" if self.first in FEMALE else "m"][0]


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.topic = rng.choice(TOPICS)
        self.place = rng.choice(PLACES)
        firsts = rng.sample(FIRST, 5)
        lasts = rng.sample(LAST, 5)
        roles = list(self.topic.roles)
        rng.shuffle(roles)
        self.cast = [Person(f, l, roles[i % len(roles)], rng.choice(self.topic.orgs))
                     for i, (f, l) in enumerate(zip(firsts, lasts))]
        self.introduced: set[str] = set()
        self.last_speaker: Person | None = None

    def fill(self, template: str) -> str:
        r, t = self.rng, self.topic
        values = {
            "thing": r.choice(t.things), "action": r.choice(t.actions), "org": r.choice(t.orgs),
            "place": self.place, "groups": r.choice(GROUPS), "n": r.randint(2, 18),
            "num": f"{r.randint(2, 950):,}", "pct": r.randint(2, 40), "year": r.randint(1962, 2021),
            "year2": r.randint(2025, 2031), "month": r.choice(MONTHS), "outlet": r.choice(OUTLETS),
            "adj": r.choice(ADJ_BAD + ADJ_GOOD),
        }
        return template.format(**values)

    def clause(self) -> str:
        return self.fill(self.rng.choice(CLAUSES))

    def statement(self) -> str:
        first, second = self.rng.sample(STATEMENTS, 2)
        text = self.fill(first)
        if self.rng.random() < 0.45:
            text += ". " + self.fill(second)
        return text[0].upper() + text[1:]

    def who(self, p: Person) -> str:
        """First mention: full name and role; later: surname."""
        if p.full not in self.introduced:
            self.introduced.add(p.full)
            if p.org.startswith("the ") or self.rng.random() < 0.5:
                return f"{p.full}, the {p.role} of {p.org},"
            return f"{p.full}, {p.org}'s {p.role},"
        return p.last

    def subject(self, p: Person) -> str:
        if p.full not in self.introduced:
            self.introduced.add(p.full)
            return f"{p.full}, the {p.role},"
        return p.last if self.rng.random() < 0.7 else f"The {p.role}"

    def pick(self) -> Person:
        p = self.rng.choice(self.cast)
        self.last_speaker = p
        return p

    def cap(self, s: str) -> str:
        return s[0].upper() + s[1:]

    # -- paragraph shapes -------------------------------------------------------------------
    def lead(self) -> str:
        p = self.pick()
        org = self.rng.choice(self.topic.orgs)
        thing = self.rng.choice(self.topic.things)
        action = self.rng.choice(self.topic.actions)
        day = self.rng.choice(DAYS)
        self.introduced.add(p.full)
        return (f"{self.cap(org)} will {action} {thing} in {self.place}, {p.full}, the {p.role}, "
                f"said on {day}, a move that {self.clause()}.")

    def background(self) -> str:
        facts = self.rng.sample(self.topic.facts, 2)
        extra = self.fill(self.rng.choice([
            "The issue has divided opinion in {place} for months.",
            "A public meeting on {thing} drew several hundred people in {month}.",
            "Similar plans were abandoned in {year} after a legal challenge.",
            "The final decision rests with {org}.",
        ]))
        return " ".join(self.fill(f) for f in facts) + " " + extra

    def quote_said_name(self) -> str:
        p = self.pick()
        cue = self.fill(self.rng.choice(CUES_QUOTE))
        if cue.startswith("told"):
            return f"\u201c{self.statement()},\u201d {p.last if p.full in self.introduced else p.full} {cue}."
        return f"\u201c{self.statement()},\u201d {cue} {self.who(p).rstrip(',')}."

    def quote_pronoun(self) -> str:
        p = self.last_speaker
        if p is None:
            return self.quote_said_name()
        return f"\u201c{self.statement()},\u201d {p.pronoun} said. \u201c{self.statement()}.\u201d"

    def reported(self) -> str:
        p = self.pick()
        cue = self.fill(self.rng.choice(CUES_REPORTED))
        that = " that" if self.rng.random() < 0.6 else ""
        tail = ""
        if self.rng.random() < 0.4:
            tail = f" {self.cap(p.pronoun)} also said{that} {self.clause()}."
        return f"{self.subject(p)} {cue}{that} {self.clause()}.{tail}"

    def mixed(self) -> str:
        p = self.pick()
        frag = self.rng.choice(FRAGMENTS)
        return (f"{self.subject(p)} said the decision on {self.rng.choice(self.topic.things)} was "
                f"\u201c{frag}\u201d and that {self.clause()}.")

    def according(self) -> str:
        p = self.pick()
        name = p.full if p.full in self.introduced else f"{p.full}, the {p.role}"
        self.introduced.add(p.full)
        return f"According to {name}, {self.clause()}. " + self.fill(self.rng.choice([
            "The claim could not be independently verified.", "{org} declined to comment.",
            "Critics in {place} disputed the figures.", "The figures have not been published."]))

    def anonymous(self) -> str:
        self.last_speaker = None
        rank = self.rng.choice(["A senior", "A", "One", "A former"])
        return (f"{rank} {self.topic.anon} official, who spoke on condition of anonymity because the talks "
                f"were private, said {self.clause()}.")

    def organisation(self) -> str:
        self.last_speaker = None
        org = self.rng.choice(self.topic.orgs)
        return f"{self.cap(org)} said in a statement that {self.clause()}. It did not say when {self.clause()}."

    def colon(self) -> str:
        p = self.pick()
        return f"{self.cap(self.who(p))} put it bluntly: \u201c{self.statement()}.\u201d"

    def continued(self) -> str:
        return f"\u201c{self.statement()}. {self.statement()}.\u201d"

    def question(self) -> str:
        p = self.pick()
        return (f"Asked whether {self.rng.choice(self.topic.things)} would go ahead, {p.last if p.full in self.introduced else p.full} "
                f"said: \u201c{self.statement()}.\u201d")


SHAPES = [("background", 3), ("quote_said_name", 4), ("quote_pronoun", 2), ("reported", 4),
          ("mixed", 1), ("according", 1), ("anonymous", 1), ("organisation", 1), ("colon", 1),
          ("continued", 1), ("question", 1)]


def synthetic_claims(seed: int, count: int = 20) -> tuple[str, list[dict]]:
    """An article text and `count` claim records in the shape the extractor hands to the
    store (`text[start:end] == claim text`), for loading the store without extraction.
    Speakers come from a pool of 2,500 people (a third of the quotes from 50 prominent ones)
    and 18 organisations."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    parts: list[str] = []
    pos = 0
    claims = []
    for _ in range(count):
        filler = writer.fill(rng.choice(writer.topic.facts)) + " "
        parts.append(filler)
        pos += len(filler)
        kind = rng.choices(["person", "organization", "unnamed"], [85, 10, 5])[0]
        if kind == "person":
            # A third of the quotes come from 50 prominent people, the rest from everyone.
            k = rng.randrange(50) if rng.random() < 0.3 else rng.randrange(len(FIRST) * len(LAST))
            k = k * 1231 % (len(FIRST) * len(LAST))
            name = f"{FIRST[k % len(FIRST)]} {LAST[k // len(FIRST) % len(LAST)]}"
            mention = name.split()[-1]
        elif kind == "organization":
            name = rng.choice([o for t in TOPICS for o in t.orgs]).removeprefix("the ")
            mention = name
        else:
            name = f"a senior {writer.topic.anon} official"
            mention = name
        claim_type = rng.choices(["direct", "indirect", "mixed"], [45, 45, 10])[0]
        content = writer.statement() if claim_type == "direct" else writer.clause()
        cue = rng.choice(["said", "told reporters", "added", "argued", "warned"])
        sentence = f"{content}, {mention} {cue}. " if claim_type == "direct" else f"{mention} {cue} that {content}. "
        start = pos + (0 if claim_type == "direct" else len(f"{mention} {cue} that "))
        parts.append(sentence)
        pos += len(sentence)
        claims.append({"text": content, "type": claim_type, "start": start, "end": start + len(content),
                       "cue": cue.split()[0],
                       "speaker": {"name": name, "mention": mention, "title": None, "kind": kind},
                       "confidence": round(rng.uniform(0.4, 0.99), 3)})
    text = "".join(parts)
    assert all(text[c["start"]:c["end"]] == c["text"] for c in claims)
    return text, claims


def article(seed: int, words: int = 600) -> str:
    """One article of about `words` words (plus or minus a paragraph)."""
    rng = random.Random(seed)
    w = _Writer(rng)
    paras = [w.lead(), w.background()]
    names = [s for s, _ in SHAPES]
    weights = [k for _, k in SHAPES]
    count = sum(len(p.split()) for p in paras)
    previous = ""
    while count < words:
        shape = rng.choices(names, weights)[0]
        if shape == "continued" and not previous.startswith("quote"):
            shape = "background"
        para = getattr(w, shape)()
        paras.append(para)
        previous = shape
        count += len(para.split())
    return "\n\n".join(paras) + "\n"


def articles(n: int, seed: int = 6, words: int = 600) -> list[str]:
    return [article(seed * 1_000_003 + i, words) for i in range(n)]


if __name__ == "__main__":  # print a sample
    import sys

    print(article(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
