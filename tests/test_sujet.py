"""Le sujet parle du vrai kit : chaque cible make, fichier, fonction, macro
ou variable qu'il nomme existe dans l'archive des étudiants ; et les numéros
de ligne que cite le corrigé sont les bons."""
import os
import re
import shutil
import subprocess
import unittest

from outils import RACINE, SOLUTION, SQUELETTE, squelette

SUJET = os.path.join(RACINE, "sujet", "sujet.md")
CORRIGE = os.path.join(RACINE, "sujet", "corrige.md")
# Ce que les commandes du sujet fabriquent (absent d'une archive neuve), et les
# noms d'exemple (« courbe.py a.csv b.csv »).
PRODUITS = re.compile(r"^(resultats/.*|result_\w*\.csv|(courbe\w*|compare)\.(png|csv)|lib\w+\.so|build/.*|"
                      r"bench(_malloc|_huge)?|rapport\.\w+|\w\.(csv|png))$")
# Noms cités pour ce qu'ils sont hors du kit : le TD d'origine, le système.
HORS_KIT = {"gettimeofday": "l'horloge du TD d'origine", "assert": "le malloc(0) du TD d'origine",
            "always": "un mode des THP", "libjemalloc2": "un paquet Debian"}
EXTENSIONS = (".c", ".h", ".py", ".sh", ".so", ".csv", ".png", ".md", ".html", ".txt", ".log", ".xml")


def fichiers_de_l_archive():
    noms = set(squelette.fichiers_sources(SQUELETTE)) | {"courbe.py", "LISEZMOI.md", "sujet.md",
                                                         "sujet.html", "courbe_exemple.png",
                                                         "install-deps.sh"}
    return noms


def textes_de_l_archive():
    textes = []
    for relatif in squelette.fichiers_sources(SQUELETTE):
        with open(os.path.join(SQUELETTE, relatif), encoding="utf-8", errors="replace") as f:
            textes.append(f.read())
    with open(os.path.join(RACINE, "courbe.py"), encoding="utf-8") as f:
        textes.append(f.read())
    return "\n".join(textes)


def code_du_sujet():
    """Les morceaux de code : `…` et blocs ``` … ```."""
    with open(SUJET, encoding="utf-8") as f:
        texte = f.read()
    blocs = re.findall(r"```[^\n]*\n(.*?)```", texte, re.S)
    sans_blocs = re.sub(r"```.*?```", "", texte, flags=re.S)
    return re.findall(r"`([^`\n]+)`", sans_blocs), blocs


class Coherence(unittest.TestCase):
    def setUp(self):
        self.en_ligne, self.blocs = code_du_sujet()

    def test_cibles_make(self):
        cibles = set()
        for morceau in self.en_ligne + self.blocs:
            # « make » en position de commande (pas « apt-get install gcc make … »)
            for m in re.finditer(r"(?:^|[;&|]\s*|sudo\s+)make((?:[ \t]+-\S+)*)((?:[ \t]+[a-z][\w.-]*(?![\w=]))*)",
                                 morceau, re.M):
                cibles |= set(m.group(2).split())
        self.assertIn("test", cibles)
        for cible in sorted(cibles):
            r = subprocess.run(["make", "-n", "-C", SQUELETTE, cible], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, f"« make {cible} » n'existe pas dans l'archive : {r.stderr}")

    def test_fichiers(self):
        archive = fichiers_de_l_archive()
        absents = []
        for morceau in self.en_ligne:
            for mot in morceau.split():
                mot = mot.strip("(),;:.'\"[]").split("=")[-1]  # LD_PRELOAD=./libhp.so
                if mot.startswith(("/", "-", "$", "<", "http")) or "*" in mot or not mot.endswith(EXTENSIONS):
                    continue
                nom = mot[2:] if mot.startswith("./") else mot
                if nom not in archive and os.path.basename(nom) not in {os.path.basename(a) for a in archive} \
                        and not PRODUITS.match(nom):
                    absents.append(mot)
        self.assertEqual(absents, [], "fichiers nommés par le sujet mais absents de l'archive")

    def test_fonctions_macros_et_variables(self):
        textes = textes_de_l_archive()
        absents = []
        for morceau in self.en_ligne:
            m = re.fullmatch(r"(\w+)(\(\))?", morceau.strip())
            if not m or m.group(1).isdigit():
                continue
            mot = m.group(1)
            if shutil.which(mot) or mot in HORS_KIT or mot.startswith("_") and not mot.startswith("__"):
                continue  # une commande du système, un nom hors du kit, un suffixe (« _tlb »)
            if not re.search(rf"\b{re.escape(mot)}\b", textes):
                absents.append(mot)
        self.assertEqual(absents, [], "noms cités par le sujet mais absents du code distribué")


def definit(ligne, symbole):
    """Vrai si la ligne définit symbole : au niveau du fichier (pas en retrait,
    pas un commentaire), ou une variable static locale."""
    if not re.search(rf"\b{symbole}\b", ligne) or ligne.lstrip().startswith(("/*", "*", "//")):
        return False
    return not ligne[:1].isspace() or re.match(r"\s*static\b", ligne) is not None


class CitationsDuCorrige(unittest.TestCase):
    def test_numeros_de_ligne(self):
        with open(CORRIGE, encoding="utf-8") as f:
            texte = f.read()
        citations = re.findall(r"`([\w./-]+\.[ch]):(\d+)` \(`(\w+)`\)", texte)
        self.assertGreaterEqual(len(citations), 10, "le corrigé doit citer où est le code")
        for fichier, ligne, symbole in citations:
            with open(os.path.join(SOLUTION, fichier), encoding="utf-8") as f:
                lignes = f.read().splitlines()
            n = int(ligne)
            self.assertTrue(0 < n <= len(lignes) and definit(lignes[n - 1], symbole),
                            f"{fichier}:{n} ne contient pas {symbole} (ligne : "
                            f"{lignes[n - 1] if 0 < n <= len(lignes) else 'hors du fichier'!r})")

    def test_citations_du_sujet_dans_le_squelette(self):
        """Le sujet cite les lignes du code que les étudiants ont sous les yeux."""
        with open(SUJET, encoding="utf-8") as f:
            citations = re.findall(r"`([\w./-]+\.[ch]):(\d+)` \(`(\w+)`\)", f.read())
        for fichier, ligne, symbole in citations:
            with open(os.path.join(SQUELETTE, fichier), encoding="utf-8") as f:
                lignes = f.read().splitlines()
            self.assertTrue(definit(lignes[int(ligne) - 1], symbole), f"{fichier}:{ligne} ({symbole})")
