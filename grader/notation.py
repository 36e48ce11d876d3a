"""Noter une soumission : espace de travail neuf, compilation et tests dans
le bac à sable, verdict et points.

L'espace de travail est une copie du projet de l'enseignant (solution/) déjà
compilé, où seul hp_allocator.c vient de l'étudiant : modifier les tests, le
Makefile ou le barème ne sert à rien. Les tests cachés n'y entrent que
compilés (leurs sources restent hors du bac à sable).
"""
import glob
import hashlib
import importlib.util
import math
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import config

# Verdicts (colonne « verdict » de notes.csv).
NOTE = "noté"
COMPILATION = "erreur de compilation"
TEMPS = "temps dépassé"
PLANTAGE = "plantage"
MEMOIRE = "mémoire dépassée"
INTERDIT = "code interdit"
MANQUANT = "fichier manquant"
ARCHIVE = "archive illisible"
INFRASTRUCTURE = "erreur de l'infrastructure"

_spec = importlib.util.spec_from_file_location("note", os.path.join(config.SOLUTION, "tests", "note.py"))
note = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(note)

LIEN_CACHEES = ("gcc -o build/check_cachees build/cachees/*.o build/hp_allocator.o "
                "build/tests/commun.o $(pkg-config --libs check)")
SECTIONS_INTERDITES = (".init_array", ".fini_array", ".ctors", ".dtors", ".preinit_array")


@dataclass
class Resultat:
    """Le résultat d'une soumission, tel que l'écrivent les rapports."""
    identifiant: str
    nom: str
    verdict: str
    note: float = None            # None : pas de note (infrastructure)
    questions: list = field(default_factory=list)   # publiques, format de note.noter
    cachees: list = field(default_factory=list)     # cachées, même format
    details: str = ""             # erreurs de compilation, message du verdict
    remarques: list = field(default_factory=list)
    performance: dict = None      # indice de performance (grader --performance), hors note


class Modele:
    """Le projet de l'enseignant compilé une fois, copié pour chaque soumission."""

    def __init__(self, dossier, cachees=config.CACHEES, performance=False):
        self.cachees = cachees
        self.performance = performance
        self.dossier = os.path.join(dossier, "modele")
        shutil.copytree(config.SOLUTION, self.dossier, symlinks=False,
                        ignore=shutil.ignore_patterns("build", "build-san", "*.so", "bench",
                                                      "bench_malloc", "bench_huge", "resultats"))
        # Valeur de sortie d'un test fini (voir tests/commun.h), inconnue de l'étudiant.
        self.fin_de_test = random.SystemRandom().randint(3, 120)
        self.cflags = ["-O2", "-g", f"-DFIN_DE_TEST={self.fin_de_test}"]
        _executer(["make", "-s", "-C", self.dossier, "tests-compiles", "hp_driver", "CC=gcc",
                   "CFLAGS=" + " ".join(self.cflags)])
        self._compiler_cachees()
        self.bareme = note.lire_bareme(os.path.join(self.dossier, "tests", "bareme.txt"))
        self.bareme_cache = note.lire_bareme(os.path.join(cachees, "bareme.txt"))
        # Ce que l'étudiant fournit est retiré : il sera recompilé à chaque fois.
        for chemin in ["hp_allocator.c", "build/hp_allocator.o", "build/hp_allocator.d",
                       "build/pic/hp_allocator.o", "build/pic/hp_allocator.d",
                       "libmalloc_wrapper.so", "build/check_hp", "bench"]:
            if os.path.exists(os.path.join(self.dossier, chemin)):
                os.remove(os.path.join(self.dossier, chemin))
        self.version = self._empreinte() + ("-performance" if performance else "")

    def _compiler_cachees(self):
        sortie = os.path.join(self.dossier, "build", "cachees")
        os.makedirs(sortie)
        cflags = subprocess.run(["pkg-config", "--cflags", "check"], capture_output=True,
                                text=True).stdout.split()
        for source in sorted(glob.glob(os.path.join(self.cachees, "*.c"))):
            objet = os.path.join(sortie, os.path.basename(source)[:-2] + ".o")
            _executer(["gcc", *self.cflags, "-std=gnu11", "-Wall", "-Wextra", f"-I{self.dossier}",
                       *cflags, "-c", "-o", objet, source])

    def _empreinte(self):
        """Change quand les tests, le barème ou le correcteur changent : une
        soumission déjà notée avec la même empreinte n'est pas renotée."""
        h = hashlib.sha256()
        motifs = [os.path.join(config.RACINE, m) for m in
                  ["solution/tests/*", "solution/*.[ch]", "solution/Makefile", "grader/*.py"]]
        for motif in motifs + [os.path.join(self.cachees, "*")]:
            for chemin in sorted(glob.glob(motif)):
                if os.path.isfile(chemin) and not chemin.endswith("hp_allocator.c"):
                    with open(chemin, "rb") as f:
                        h.update(chemin.encode() + f.read())
        return h.hexdigest()[:16]

    def espace(self, parent):
        """Une copie neuve (dates gardées : make ne recompile que l'étudiant)."""
        espace = tempfile.mkdtemp(prefix="soumission-", dir=parent)
        os.rmdir(espace)
        subprocess.run(["cp", "-a", self.dossier, espace], check=True)
        return espace


def _executer(commande):
    r = subprocess.run(commande, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(commande)} a échoué :\n{r.stdout}{r.stderr}")


def noter(soumission, source, modele, bac, parent, tache):
    """Compile et teste source (octets) ; rend un Resultat."""
    espace = modele.espace(parent)
    try:
        with open(os.path.join(espace, config.FICHIER_ETUDIANT), "wb") as f:
            f.write(source)
        bac.preparer(espace, tache)
        return _compiler_et_tester(soumission, espace, modele, bac, tache)
    finally:
        shutil.rmtree(espace, ignore_errors=True)


def _compiler_et_tester(soumission, espace, modele, bac, tache):
    res = Resultat(soumission.identifiant, soumission.nom, NOTE)
    limites = config.LIMITES["compilation"]
    c = bac.lancer(f"make -s tests-compiles CC=gcc && {LIEN_CACHEES}", espace, tache,
                   limites["mur"], limites["cpu"])
    if c.demarrage_rate:
        return panne_du_correcteur(res, c.sortie)
    if c.code != 0:
        res.verdict = TEMPS if c.mur_depasse or c.code == -24 else COMPILATION
        res.details = _erreurs_compilation(c.sortie, espace)
        res.note = 0.0
        return res
    if _a_un_constructeur(os.path.join(espace, "build", "hp_allocator.o")):
        res.verdict, res.note = INTERDIT, 0.0
        res.details = ("hp_allocator.c définit un constructeur ou un destructeur "
                       "(__attribute__((constructor)), etc.) : interdit dans ce TD.")
        return res
    publics = _tests(bac, espace, tache, "check_hp", modele.bareme)
    if publics[0].mur_depasse:
        # les tests cachés boucleraient aussi : leurs points sont perdus, sans attendre
        caches = (publics[0], note.noter(modele.bareme_cache, {}), False)
    else:
        caches = _tests(bac, espace, tache, "check_cachees", modele.bareme_cache)
    if publics[0].demarrage_rate or caches[0].demarrage_rate:
        return panne_du_correcteur(res, publics[0].sortie + caches[0].sortie)
    if publics[2] or caches[2]:
        res.verdict, res.note = INTERDIT, 0.0
        res.details = "le journal des tests a été modifié par le code testé (tentative de fraude ?)"
        return res
    res.questions, res.cachees = publics[1], caches[1]
    res.verdict, res.details = _verdict(publics[0], caches[0])
    total = sum(q["points"] for q in res.questions + res.cachees)
    total_max = sum(q["max"] for q in res.questions + res.cachees)
    res.note = round(config.NOTE_MAX * total / total_max, 2)
    if modele.performance and res.verdict != TEMPS:  # un allocateur qui boucle bouclerait encore
        res.performance = performance(bac, espace, tache)
    return res


# Chaque trace dans son propre processus (l'utilisation d'une trace ne doit
# pas profiter de la mémoire gardée de la précédente), la glibc et
# l'allocateur de l'étudiant l'un après l'autre : leur rapport résiste à la
# charge de la machine. Pages de 4 Kio, comme dans compare.py.
PERFORMANCE = ('for t in traces/*.rep; do ./hp_driver --csv "$t" | sed -n "2s/^/glibc,/p" >> "$PERF"; '
               'HP_PAGES=normales LD_PRELOAD=./libmalloc_wrapper.so ./hp_driver --csv "$t" '
               '| sed -n "2s/^/etudiant,/p" >> "$PERF"; done')


def performance(bac, espace, tache):
    """Indice de performance façon MIT 6.172 : débit rapporté à celui de la
    glibc mesuré dans la même exécution (moyenne géométrique des traces
    justes) et utilisation. À titre indicatif : le code de l'étudiant tourne
    dans le même processus que le driver et pourrait écrire dans le canal."""
    limites = config.LIMITES["performance"]
    r = bac.lancer(PERFORMANCE, espace, tache, limites["mur"], limites["cpu"], canal="PERF")
    mesures = {}
    for ligne in r.canal.decode("utf-8", "replace").splitlines():
        champs = ligne.split(",")
        if len(champs) == 6 and champs[0] in ("glibc", "etudiant") and champs[1].endswith(".rep"):
            mesures.setdefault(os.path.basename(champs[1])[:-4], {})[champs[0]] = champs[2:]
    traces, relatifs, utilisations = [], [], []
    for nom, m in sorted(mesures.items()):
        relatif, util = _rapport(m.get("glibc"), m.get("etudiant"))
        traces.append([nom, "oui" if relatif is not None else "non", relatif, util])
        if relatif is not None:
            relatifs.append(relatif)
        if util is not None:
            utilisations.append(util)
    total = len(glob.glob(os.path.join(espace, "traces", "*.rep")))
    return {"traces": traces, "justes": len(relatifs), "total": total,
            "temps_depasse": r.mur_depasse,
            "debit_relatif": round(_geometrique(relatifs), 3) if relatifs else None,
            "utilisation": round(_geometrique(utilisations), 1) if utilisations else None}


def _rapport(glibc, etudiant):
    """(débit relatif, utilisation) d'une trace, None pour ce qui manque ou
    est illisible (le canal peut avoir été écrit par le code de l'étudiant)."""
    try:
        if not glibc or not etudiant or etudiant[0] != "oui" or float(glibc[2]) <= 0:
            return None, None
        util = float(etudiant[3])
        return round(float(etudiant[2]) / float(glibc[2]), 3), util if 0 <= util <= 100 else None
    except (ValueError, IndexError):
        return None, None


def _geometrique(valeurs):
    valeurs = [max(v, 1e-9) for v in valeurs]
    return math.exp(sum(math.log(v) for v in valeurs) / len(valeurs))


def _tests(bac, espace, tache, programme, bareme):
    """Lance un programme de tests ; le journal XML passe par un tube (voir
    BacASable.lancer) : un second document, ou du texte autour, trahit un
    journal fabriqué par le code testé. Rend (résultat, questions, falsifié)."""
    limites = config.LIMITES["tests"]
    texte = f"build/{programme}.txt"
    r = bac.lancer(f"./build/{programme} > build/{programme}.log 2>&1", espace, tache,
                   limites["mur"], limites["cpu"], canal="CK_XML_LOG_FILE_NAME",
                   env={"CK_LOG_FILE_NAME": texte, "CK_VERBOSITY": "silent",
                        "CK_DEFAULT_TIMEOUT": str(config.DELAI_TEST),
                        "HP_BIBLIOTHEQUE": "./libmalloc_wrapper.so", "HP_BENCH": "./bench"})
    xml = r.canal.decode("utf-8", "replace").strip()
    # Un journal coupé (programme tué en pleine écriture) ne compte pas, sans
    # être une fraude ; deux documents, ou du texte autour, en sont une.
    falsifie = bool(xml) and (xml.count("<?xml version") > 1 or xml.count("<testsuites") > 1
                              or not xml.startswith("<?xml")
                              or "</testsuites>" in xml and not xml.endswith("</testsuites>"))
    resultats = {}
    if xml.endswith("</testsuites>") and not falsifie:
        chemin = os.path.join(espace, "..", f"{os.path.basename(espace)}-{programme}.xml")
        with open(chemin, "w", encoding="utf-8") as f:
            f.write(xml)
        try:
            resultats = note.lire_journal(chemin, os.path.join(espace, texte))
        except note.ErreurNote:
            falsifie = True
        finally:
            os.remove(chemin)
    return r, note.noter(bareme, resultats), falsifie


def _verdict(publics, caches):
    for r in (publics, caches):
        if r.mur_depasse or r.code == -24:  # SIGXCPU : limite de CPU
            return TEMPS, "les tests ont dépassé la limite de temps : les points des tests finis sont gardés"
        if r.memoire_max_kio * 1024 >= 0.8 * (config.MEMOIRE_MIO << 20):  # jamais sans bombe
            return MEMOIRE, f"plus de {config.MEMOIRE_MIO} Mio de mémoire utilisés"
        if r.code < 0:
            return PLANTAGE, f"le programme de test s'est arrêté sur le signal {-r.code}"
    return NOTE, ""


def _a_un_constructeur(objet):
    r = subprocess.run(["readelf", "-SW", objet], capture_output=True, text=True)
    return any(s in r.stdout for s in SECTIONS_INTERDITES)


def _erreurs_compilation(sortie, espace):
    """Les premières erreurs du compilateur, chemins de l'espace de travail ôtés."""
    lignes = [l.replace(espace + "/", "").replace("/travail/", "") for l in sortie.splitlines()]
    utiles = [l for l in lignes if not l.startswith(("make", "  CC", "  LINK"))]
    return "\n".join(utiles[:30])


def panne_du_correcteur(res, sortie):
    res.verdict, res.note = INFRASTRUCTURE, None
    res.details = ("le correcteur n'a pas pu s'exécuter (ce n'est pas la faute de l'étudiant) : "
                   + sortie.strip()[:500])
    return res


def sans_source(soumission, verdict, details):
    return Resultat(soumission.identifiant, soumission.nom, verdict, 0.0, details=details)
