#!/usr/bin/env python3
"""Trace les mesures de la hiérarchie mémoire : temps par accès (ns) selon la
taille du tampon, en échelle linéaire puis logarithmique (base 2).

    python3 courbe.py [--no-show] [-o sortie.png] fichier.csv [autre.csv …]

Deux formats d'entrée, reconnus fichier par fichier :
  - le CSV du kit : des lignes « # cle: valeur » (métadonnées), l'en-tête
    « taille_octets,ns_par_acces,ns_min,ns_max » puis une ligne par taille ;
  - la sortie du TD d'origine : « 4 ko<tabulation>1.234 » (taille en Kio).

Une taille mesurée plusieurs fois est tracée à la médiane de ses mesures.
Les tailles des caches L1/L2/L3 (traits pointillés) viennent des métadonnées
du premier fichier, sinon de /sys/devices/system/cpu/cpu0/cache.
"""
import argparse
import glob
import math
import os
import re
import statistics
import sys

PROG = "courbe.py"
SYSFS_CACHE = "/sys/devices/system/cpu/cpu0/cache"
CLES_CACHES = [("L1", "cache_L1d_octets"), ("L2", "cache_L2_octets"), ("L3", "cache_L3_octets")]
ATTENDU_KIT = "attendu : taille_octets,ns_par_acces,…"
ATTENDU_TD = "attendu : « N ko<tabulation>temps »"
RE_META = re.compile(r"^#\s*([\w.-]+)\s*:\s*(.*?)\s*$")
RE_TD = re.compile(r"^([+-]?\d+)\s*ko\s+(\S+)(?:\s.*)?$")
UNITES = [(1 << 30, "Gio"), (1 << 20, "Mio"), (1 << 10, "Kio")]


class ErreurCourbe(Exception):
    """Erreur à signaler à l'utilisateur (message en français, code 2)."""


# --- Lecture des fichiers -------------------------------------------------

def lire_lignes(chemin):
    """Toutes les lignes du fichier, ou ErreurCourbe en français."""
    try:
        with open(chemin, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        raise ErreurCourbe(f"{PROG} : fichier introuvable : {chemin}") from None
    except IsADirectoryError:
        raise ErreurCourbe(f"{PROG} : {chemin} est un dossier, pas un fichier de mesures") from None
    except PermissionError:
        raise ErreurCourbe(f"{PROG} : lecture interdite (permission refusée) : {chemin}") from None
    except OSError as e:
        raise ErreurCourbe(f"{PROG} : lecture impossible de {chemin} : {e.strerror}") from None


def est_td(ligne):
    """Vrai si la ligne suit le format du TD d'origine (« 4 ko\\t1.234 »)."""
    return RE_TD.match(ligne) is not None


def valider(taille, ns):
    """Rend (taille, ns) ou lève ValueError avec la raison en français."""
    if taille <= 0:
        raise ValueError("la taille doit être un entier strictement positif")
    if not math.isfinite(ns) or ns < 0:
        raise ValueError("le temps doit être un nombre positif ou nul")
    return taille, ns


def analyser_ligne(ligne, format_td):
    """(taille en octets, ns) d'une ligne de mesure ; ValueError sinon."""
    if format_td:
        m = RE_TD.match(ligne)
        if not m:
            raise ValueError(ATTENDU_TD)
        taille, ns = int(m.group(1)) * 1024, m.group(2)
    else:
        champs = ligne.split(",")
        if len(champs) < 2:
            raise ValueError(ATTENDU_KIT)
        taille, ns = champs[0], champs[1]
    try:
        taille, ns = int(taille), float(ns)
    except ValueError:
        raise ValueError(ATTENDU_TD if format_td else ATTENDU_KIT) from None
    return valider(taille, ns)


def est_entete(ligne):
    return ligne.split(",")[0].strip().lower() == "taille_octets"


def lire_csv(chemin):
    """Lit un fichier de mesures : {"meta": {cle: valeur}, "points":
    [(taille_octets, ns), …]} triés par taille, une médiane par taille."""
    meta, mesures, format_td = {}, {}, None
    for numero, brute in enumerate(lire_lignes(chemin), start=1):
        ligne = brute.strip().lstrip("\ufeff")
        if ligne.startswith("#"):
            m = RE_META.match(ligne)
            if m:
                meta.setdefault(m.group(1), m.group(2))
            continue
        if not ligne or est_entete(ligne):
            continue
        if format_td is None:
            format_td = est_td(ligne)
        try:
            taille, ns = analyser_ligne(ligne, format_td)
        except ValueError as e:
            raise ErreurCourbe(f"{PROG} : {chemin}:{numero} : ligne illisible « {ligne} » ({e})") from None
        mesures.setdefault(taille, []).append(ns)
    if not mesures:
        raise ErreurCourbe(f"{PROG} : {chemin} : aucune mesure dans ce fichier (vide ou seulement des commentaires)")
    points = [(t, statistics.median(v)) for t, v in sorted(mesures.items())]
    return {"meta": meta, "points": points}


def etiquette(serie):
    """« malloc, chase, pages normales » d'après les métadonnées, sinon le
    nom du fichier."""
    parties = [serie["meta"].get(c, "") for c in ("allocation", "mode", "pages")]
    texte = ", ".join(p for p in parties if p)
    return texte or os.path.basename(serie.get("chemin", "?"))


def nommer(series):
    """Donne une étiquette à chaque série ; deux étiquettes identiques
    reçoivent en plus le nom de leur fichier."""
    noms = [etiquette(s) for s in series]
    for s, nom in zip(series, noms):
        fichier = os.path.basename(s.get("chemin", "?"))
        doublon = noms.count(nom) > 1 and nom != fichier
        s["etiquette"] = f"{nom} ({fichier})" if doublon else nom
    return series


# --- Tailles des caches -----------------------------------------------------

def entier_positif(texte):
    try:
        n = int(texte)
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def caches_meta(meta):
    """{"L1": octets, …} d'après les métadonnées ; None si aucune n'y est."""
    if not any(cle in meta for _, cle in CLES_CACHES):
        return None
    tailles = {niveau: entier_positif(meta.get(cle)) for niveau, cle in CLES_CACHES}
    return {n: t for n, t in tailles.items() if t}


def taille_sysfs(texte):
    """« 32K » → 32768, « 8M » → 8388608, « 512 » → 512 ; None si illisible."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)\s*", texte, re.IGNORECASE)
    if not m:
        return None
    facteur = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]
    return int(m.group(1)) * facteur or None


def lire_sysfs(dossier, nom):
    try:
        with open(os.path.join(dossier, nom)) as f:
            return f.read().strip()
    except OSError:
        return ""


def caches_sysfs(racine=SYSFS_CACHE):
    """{"L1": octets, …} lus dans sysfs (caches d'instructions exclus)."""
    tailles = {}
    for dossier in sorted(glob.glob(os.path.join(racine, "index*"))):
        if lire_sysfs(dossier, "type") == "Instruction":
            continue
        niveau, taille = lire_sysfs(dossier, "level"), taille_sysfs(lire_sysfs(dossier, "size"))
        if niveau.isdigit() and taille:
            tailles.setdefault("L" + niveau, taille)
    return tailles


def tailles_caches(meta, racine=SYSFS_CACHE):
    """Caches à marquer : métadonnées du fichier, sinon sysfs, sinon rien."""
    tailles = caches_meta(meta)
    return tailles if tailles is not None else caches_sysfs(racine)


# --- Tracé ------------------------------------------------------------------

def nom_taille(octets, _position=None):
    """4096 → « 4 Kio », 1048576 → « 1 Mio », 1536 → « 1,5 Kio »."""
    for facteur, unite in UNITES:
        if octets >= facteur:
            valeur = f"{octets / facteur:.1f}".rstrip("0").rstrip(".")
            return f"{valeur.replace('.', ',')} {unite}"
    return f"{octets:g} o" if octets else "0"


def importer_pyplot(montrer):
    """matplotlib.pyplot, en mode sans écran (Agg) si besoin."""
    try:
        import matplotlib
    except ImportError:
        raise ErreurCourbe(
            f"{PROG} : matplotlib est introuvable pour {sys.executable}.\n"
            "  Installez-le : sudo apt-get install python3-matplotlib\n"
            "  ou lancez le script avec /usr/bin/python3 (qui l'a une fois ce paquet installé).") from None
    if not montrer:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def graduations_log(xmin, xmax):
    """Puissances de 2 couvrant [xmin, xmax], une sur deux si trop nombreuses."""
    bas, haut = math.floor(math.log2(xmin)), math.ceil(math.log2(xmax))
    pas = max(1, math.ceil((haut - bas + 1) / 12))
    return [2.0 ** e for e in range(bas, haut + 1, pas)]


def pas_lineaire(xmax):
    """Pas des graduations linéaires : une puissance de 2, au plus ~8 graduations."""
    return 2.0 ** max(0, math.ceil(math.log2(max(xmax, 1) / 8)))


def axe_lineaire(ax, ticker, xmax):
    ax.xaxis.set_major_locator(ticker.MultipleLocator(pas_lineaire(xmax)))
    ax.set_xlim(left=0)
    ax.set_title("Taille du tampon en échelle linéaire")


def axe_log(ax, ticker, xmin, xmax):
    # temps aussi en échelle log : les paliers L1 (1 ns) à RAM (100 ns) se voient
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda y, _p: f"{y:g}"))
    ax.set_xscale("log", base=2)
    ax.set_xticks(graduations_log(xmin, xmax))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlim(xmin / 1.2, xmax * 1.2)
    ax.set_title("Tailles et temps en échelle logarithmique")


def marquer_caches(ax, caches):
    """Traits pointillés aux tailles des caches, noms en escalier (lisibles
    même quand L1 et L2 se touchent en échelle linéaire)."""
    for i, (niveau, taille) in enumerate(sorted(caches.items())):
        ax.axvline(taille, linestyle="--", color="grey", linewidth=1)
        ax.text(taille, 0.98 - 0.07 * i, f" {niveau}", transform=ax.get_xaxis_transform(),
                va="top", ha="left", color="dimgrey")


def habiller(ax, ticker):
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(nom_taille))
    ax.set_xlabel("taille du tampon")
    ax.set_ylabel("temps par accès (ns)")
    if ax.get_yscale() == "linear":
        ax.set_ylim(0, ax.get_ylim()[1] * 1.1)
    ax.grid(True, alpha=0.3)


def titre(series):
    cpu = series[0]["meta"].get("cpu")
    return "Temps par accès mémoire selon la taille du tampon" + (f"\n{cpu}" if cpu else "")


def tracer(series, sortie, montrer=False):
    """Trace les séries (dicts de lire_csv, avec "etiquette") dans deux
    panneaux, enregistre le PNG dans sortie ; rend la figure."""
    plt = importer_pyplot(montrer)
    from matplotlib import ticker
    fig, (ax_lin, ax_log) = plt.subplots(2, 1, figsize=(10, 8), dpi=100)
    xs = [t for s in series for t, _ in s["points"]]
    caches = tailles_caches(series[0]["meta"])
    for ax in (ax_lin, ax_log):
        for i, s in enumerate(series, start=1):
            t, ns = zip(*s["points"])
            ax.plot(t, ns, marker="o", markersize=3, label=s.get("etiquette", f"série {i}"))
        marquer_caches(ax, caches)
    axe_lineaire(ax_lin, ticker, max(xs + list(caches.values())))
    axe_log(ax_log, ticker, min(xs + list(caches.values())), max(xs + list(caches.values())))
    for ax in (ax_lin, ax_log):
        habiller(ax, ticker)
    fig.suptitle(titre(series))
    # une seule légende, sous les deux panneaux : elle ne cache aucune courbe
    poignees, noms = ax_lin.get_legend_handles_labels()
    lignes_legende = (len(series) + 1) // 2
    fig.legend(poignees, noms, loc="lower center", ncol=2, fontsize="small")
    fig.tight_layout(rect=(0, 0.035 * lignes_legende + 0.01, 1, 1))
    enregistrer(fig, sortie)
    if montrer and plt.get_backend().lower() != "agg":
        plt.show()
    return fig


def enregistrer(fig, sortie):
    try:
        fig.savefig(sortie, dpi=100, format="png")
    except OSError as e:
        raise ErreurCourbe(f"{PROG} : impossible d'écrire {sortie} : {raison_os(e)}") from None


def raison_os(e):
    if isinstance(e, PermissionError):
        return "permission refusée"
    if isinstance(e, FileNotFoundError):
        return "dossier inexistant"
    if isinstance(e, IsADirectoryError):
        return "c'est un dossier"
    if isinstance(e, NotADirectoryError):
        return "un élément du chemin n'est pas un dossier"
    return e.strerror or str(e)


# --- Ligne de commande ------------------------------------------------------

class FormatFrancais(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


TRADUCTIONS = [
    (r"the following arguments are required: (.*)", "argument obligatoire manquant : {0}"),
    (r"unrecognized arguments: (.*)", "arguments inconnus : {0}"),
    (r"argument (\S+): expected one argument", "l'option {0} attend une valeur"),
    (r"argument (\S+): expected at least one argument", "l'option {0} attend au moins une valeur"),
    (r"argument (\S+): invalid int value: (.*)", "l'option {0} attend un nombre entier, pas {1}"),
    (r"argument (\S+): invalid float value: (.*)", "l'option {0} attend un nombre, pas {1}"),
    (r"argument (\S+): invalid choice: (\S+) \(choose from (.*)\)", "{0} : {1} inconnu (au choix : {2})"),
    (r"ambiguous option: (\S+).*", "option ambiguë : {0}"),
]


class AnalyseurFrancais(argparse.ArgumentParser):
    """argparse en français : aide, usage et erreurs. Les autres outils du
    kit (compare.py, le correcteur) s'en servent aussi."""

    def __init__(self, *args, add_help=True, **kwargs):
        kwargs.setdefault("formatter_class", FormatFrancais)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        if add_help:
            self.add_argument("-h", "--help", action="help", help="affiche cette aide et quitte")

    def error(self, message):
        for motif, traduction in TRADUCTIONS:
            m = re.fullmatch(motif, message)
            if m:
                message = traduction.format(*m.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {message}\n")


def analyseur():
    p = AnalyseurFrancais(
        prog=PROG, add_help=False,
        description="Trace le temps par accès mémoire (ns) selon la taille du tampon,\n"
                    "en échelle linéaire et logarithmique, une courbe par fichier.",
        epilog="Formats acceptés : le CSV du kit (métadonnées « # cle: valeur », en-tête\n"
               "taille_octets,ns_par_acces,…) ou la sortie du TD d'origine (« 4 ko<tab>1.234 »).\n"
               "Exemple : python3 courbe.py --no-show -o courbe.png resultats/chase.csv")
    p.add_argument("fichiers", nargs="+", metavar="fichier.csv", help="fichier(s) de mesures à tracer")
    p.add_argument("-o", "--sortie", metavar="sortie.png",
                   help="image PNG à écrire (par défaut : courbe.png à côté du premier fichier)")
    p.add_argument("--no-show", action="store_true", help="n'ouvre pas de fenêtre, écrit seulement le PNG")
    p.add_argument("-h", "--help", action="help", help="affiche cette aide et quitte")
    return p


def a_un_ecran():
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def verifier_sortie(sortie):
    dossier = os.path.dirname(sortie) or "."
    if os.path.isdir(sortie):
        raise ErreurCourbe(f"{PROG} : impossible d'écrire {sortie} : c'est un dossier")
    if not os.path.isdir(dossier):
        raise ErreurCourbe(f"{PROG} : impossible d'écrire {sortie} : le dossier {dossier} n'existe pas")


def executer(args):
    series = nommer([dict(lire_csv(c), chemin=c) for c in args.fichiers])
    sortie = args.sortie or os.path.join(os.path.dirname(args.fichiers[0]), "courbe.png")
    verifier_sortie(sortie)
    montrer = not args.no_show and a_un_ecran()
    fig = tracer(series, sortie, montrer=montrer)
    print(f"Courbe enregistrée dans {sortie}")
    import matplotlib.pyplot as plt
    plt.close(fig)


def main(argv=None):
    args = analyseur().parse_args(argv)
    try:
        executer(args)
    except ErreurCourbe as e:
        print(e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} : interrompu", file=sys.stderr)
        return 130
    except Exception as e:  # jamais de trace Python pour l'utilisateur
        print(f"{PROG} : erreur inattendue ({type(e).__name__} : {e})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
