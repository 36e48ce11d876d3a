#!/usr/bin/env python3
"""Génère les traces d'allocation de solution/traces/ (format du malloclab).

    python3 grader/traces.py [dossier]     (défaut : solution/traces)

Chaque trace vient d'un générateur à graine fixe : relancer donne les mêmes
fichiers, octet pour octet (un test le vérifie). Ce que chacune met à
l'épreuve est dans sa docstring, recopiée dans solution/traces/LISEZMOI.md.
Chaque trace garde au moins 0,5 Mio vivant à son pic, pour que l'utilisation
mesurée par le driver (en pages de 4 Kio) soit juste à 1 % près.
"""
import os
import random
import sys

import config


class Trace:
    def __init__(self, graine):
        self.hasard = random.Random(graine)
        self.ops, self.vivants, self.prochain = [], {}, 0
        # Les identifiants vivants en liste, et la place de chacun : tirer et
        # retirer au hasard en temps constant.
        self.ordre, self.place = [], {}

    def a(self, taille):
        i = self.prochain
        self.prochain += 1
        self.ops.append(f"a {i} {taille}")
        self.vivants[i] = taille
        self.place[i] = len(self.ordre)
        self.ordre.append(i)
        return i

    def r(self, i, taille):
        self.ops.append(f"r {i} {taille}")
        self.vivants[i] = taille

    def f(self, i):
        self.ops.append(f"f {i}")
        del self.vivants[i]
        dernier = self.ordre.pop()
        if dernier != i:
            self.ordre[self.place[i]] = dernier
            self.place[dernier] = self.place[i]
        del self.place[i]

    def au_hasard(self):
        """Un identifiant vivant tiré au hasard."""
        return self.ordre[self.hasard.randrange(len(self.ordre))]

    def tout_liberer(self):
        for i in sorted(self.vivants):
            self.f(i)

    def texte(self):
        self.tout_liberer()
        nb_ids = max(1, self.prochain)
        return f"{1 << 24}\n{nb_ids}\n{len(self.ops)}\n1\n" + "\n".join(self.ops) + "\n"


def petits_objets():
    """Beaucoup de petits objets (8 à 64 octets, listes, chaînes) : 20 000
    vivants, puis un va-et-vient où chaque libération est suivie d'une
    allocation. Débit pur, et coût des en-têtes sur de petits blocs."""
    t = Trace(1)
    tailles = [8, 16, 24, 32, 48, 64]
    for _ in range(20000):
        t.a(t.hasard.choice(tailles))
    for _ in range(20000):
        t.f(t.au_hasard())
        t.a(t.hasard.choice(tailles))
    return t


def binaire():
    """Tailles alternées 64 et 448, puis les 448 libérés et des 512 demandés :
    les trous de 448 ne servent à rien à un allocateur qui ne fusionne pas,
    et l'utilisation s'effondre (trace « binary » du malloclab)."""
    t = Trace(2)
    blocs = [t.a(448) if k % 2 else t.a(64) for k in range(8000)]
    for i in blocs[1::2]:
        t.f(i)
    for _ in range(4000):
        t.a(512)
    return t


def coalescence():
    """Des blocs voisins de 4 Kio libérés puis redemandés deux fois plus
    grands : il faut fusionner les voisins libres pour les réutiliser."""
    t = Trace(3)
    for tour in range(4):
        blocs = [t.a(4095) for _ in range(800)]
        for i in blocs:
            t.f(i)
        grands = [t.a(8190 + tour) for _ in range(400)]
        for i in grands:
            t.f(i)
    return t


def realloc_croissant():
    """Des tampons qui grandissent par realloc (chaînes, tableaux dynamiques)
    jusqu'à 19 Kio, entre de petites allocations qui les empêchent de grandir
    sur place : grandir sans copier demande de fusionner avec le voisin."""
    t = Trace(4)
    tampons = [t.a(64) for _ in range(100)]
    for etape in range(1, 200):
        for i in tampons:
            t.r(i, 64 + 96 * etape)
            petit = t.a(t.hasard.randint(1, 100))
            if t.hasard.random() < 0.7:
                t.f(petit)
    return t


def aleatoire():
    """Un mélange au hasard : tailles de 1 octet à 16 Kio (loi log-uniforme),
    environ 2000 blocs vivants, realloc de temps en temps."""
    t = Trace(5)
    for _ in range(30000):
        tirage = t.hasard.random()
        # plus d'allocations que de libérations jusqu'à 2000 vivants, autant ensuite
        liberation = 0.45 if len(t.vivants) >= 2000 else 0.2
        if t.vivants and tirage < liberation:
            t.f(t.au_hasard())
        elif t.vivants and tirage < 0.55:
            t.r(t.au_hasard(), int(2 ** t.hasard.uniform(0, 14)))
        else:
            t.a(int(2 ** t.hasard.uniform(0, 14)))
    return t


def grands_blocs():
    """Des blocs de 64 Kio à 1 Mio (images, tampons d'entrée-sortie), une
    dizaine vivants : les demander au système (mmap) et les lui rendre
    (munmap) ne laisse aucun trou dans le tas, mais coûte des appels système
    et des fautes de page ; la glibc relève son seuil mmap quand de tels
    blocs reviennent souvent."""
    t = Trace(6)
    for _ in range(1000):
        t.a(t.hasard.randint(64 << 10, 1 << 20))
        if len(t.vivants) > 12:
            t.f(t.au_hasard())
    return t


TRACES = [petits_objets, binaire, coalescence, realloc_croissant, aleatoire, grands_blocs]


def lisezmoi():
    """Ce que chaque trace met à l'épreuve, tiré des docstrings ci-dessus."""
    lignes = ["# Traces d'allocation", "",
              "Fichier généré par `python3 grader/traces.py` (graines fixes) : ne pas",
              "modifier à la main. Format du malloclab de CS:APP : quatre nombres",
              "d'en-tête (taille de tas suggérée, nombre d'identifiants, nombre",
              "d'opérations, poids), puis `a id taille` (malloc), `r id taille`",
              "(realloc) ou `f id` (free), une opération par ligne.", ""]
    for fabrique in TRACES:
        texte = " ".join(fabrique.__doc__.split())
        lignes.append(f"- **{fabrique.__name__}.rep** : {texte}")
    return "\n".join(lignes) + "\n"


def ecrire(dossier):
    os.makedirs(dossier, exist_ok=True)
    for fabrique in TRACES:
        with open(os.path.join(dossier, fabrique.__name__ + ".rep"), "w", encoding="ascii") as f:
            f.write(fabrique().texte())
    with open(os.path.join(dossier, "LISEZMOI.md"), "w", encoding="utf-8") as f:
        f.write(lisezmoi())
    return [fabrique.__name__ + ".rep" for fabrique in TRACES]


def main(argv=None):
    p = config.AnalyseurFrancais(prog="traces.py", description="Génère les traces d'allocation.")
    p.add_argument("dossier", nargs="?", default=os.path.join(config.SOLUTION, "traces"),
                   help="où écrire les traces (défaut : solution/traces)")
    dossier = p.parse_args(sys.argv[1:] if argv is None else argv).dossier
    try:
        noms = ecrire(dossier)
    except OSError as e:
        print(f"traces : impossible d'écrire dans {dossier} : {config.raison_os(e)}", file=sys.stderr)
        return 2
    print(f"traces : {len(noms)} traces écrites dans {dossier}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
