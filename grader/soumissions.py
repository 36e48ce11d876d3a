"""Trouver les soumissions et, dans chacune, le hp_allocator.c de l'étudiant.

Entrées acceptées : dossiers, archives .zip/.tar.gz/.tgz/.tar, et le zip (ou
le dossier décompressé) « Télécharger tous les travaux remis » de Moodle, un
dossier « Nom Prénom_12345_assignsubmission_file_ » par étudiant. Le fichier
peut être enfoui dans des sous-dossiers ou dans une archive de l'archive.

Les archives ne sont jamais décompressées sur le disque : on lit seulement le
contenu du fichier cherché. Un chemin en « ../ », un lien symbolique ou un
fichier spécial ne peuvent donc rien écrire ni rien faire lire hors de
l'archive : ils sont ignorés.
"""
import io
import os
import re
import tarfile
import unicodedata
import zipfile
from dataclasses import dataclass, field

import config

EXTENSIONS_ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")


class ErreurEntree(Exception):
    """Une entrée de la ligne de commande est inutilisable (message en français)."""


class ArchiveIllisible(Exception):
    pass


@dataclass
class Fichier:
    """Un fichier d'une soumission (sur le disque ou dans une archive)."""
    chemin: str       # relatif à la soumission, avec des « / »
    taille: int
    lire: object      # fonction sans argument qui rend les octets
    lien: bool = False


@dataclass
class Soumission:
    identifiant: str
    nom: str
    fichiers: list = field(default_factory=list)
    probleme: str = ""          # « archive illisible » : rien à noter


def est_archive(nom):
    return nom.lower().endswith(EXTENSIONS_ARCHIVES)


def nom_de_fichier(texte):
    """Un nom de fichier sûr (accents gardés, espaces et séparateurs remplacés)."""
    texte = unicodedata.normalize("NFC", texte)
    texte = re.sub(r"[^\w.-]+", "_", texte).strip("._")
    return texte[:100] or "sans_nom"


def _chemin_sur(chemin):
    """Chemin d'archive accepté : relatif, sans « .. »."""
    parties = chemin.replace("\\", "/").split("/")
    return not chemin.startswith("/") and ".." not in parties


def _ignore(chemin):
    """Restes de macOS (« __MACOSX/ », « ._fichier ») : jamais le vrai fichier."""
    return "__MACOSX" in chemin.split("/") or os.path.basename(chemin).startswith("._")


# --- Lister sans extraire ---------------------------------------------------

def lister_dossier(dossier):
    fichiers = []
    for racine, dossiers, noms in os.walk(dossier, followlinks=False):
        dossiers.sort()
        for nom in sorted(noms):
            complet = os.path.join(racine, nom)
            relatif = os.path.relpath(complet, dossier).replace(os.sep, "/")
            lien = os.path.islink(complet)
            if not lien and not os.path.isfile(complet):
                continue
            taille = 0 if lien else os.path.getsize(complet)
            fichiers.append(Fichier(relatif, taille, _lecteur_disque(complet), lien))
    return fichiers


def _lecteur_disque(chemin):
    def lire():
        with open(chemin, "rb") as f:
            return f.read(config.TAILLE_MAX_ARCHIVE)
    return lire


def lister_archive(nom, octets):
    """Les fichiers d'une archive donnée par son contenu ; ArchiveIllisible sinon."""
    try:
        if nom.lower().endswith(".zip"):
            return _lister_zip(octets)
        return _lister_tar(octets)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise ArchiveIllisible(f"{os.path.basename(nom)} : {e}") from None


def _lister_zip(octets):
    archive = zipfile.ZipFile(io.BytesIO(octets))
    fichiers = []
    for info in archive.infolist():
        if info.is_dir() or not _chemin_sur(info.filename):
            continue
        lien = (info.external_attr >> 16) & 0o170000 == 0o120000
        fichiers.append(Fichier(info.filename, info.file_size,
                                lambda i=info: archive.read(i)[:config.TAILLE_MAX_ARCHIVE], lien))
    return fichiers


def _lister_tar(octets):
    archive = tarfile.open(fileobj=io.BytesIO(octets), mode="r:*")
    fichiers = []
    for membre in archive.getmembers():
        if not _chemin_sur(membre.name) or not (membre.isfile() or membre.issym() or membre.islnk()):
            continue
        lien = not membre.isfile()
        fichiers.append(Fichier(membre.name, membre.size,
                                lambda m=membre: archive.extractfile(m).read(config.TAILLE_MAX_ARCHIVE),
                                lien))
    return fichiers


# --- Trouver les soumissions ------------------------------------------------

def _moodle(nom):
    return re.match(config.MOTIF_MOODLE, nom)


def _regrouper_moodle(fichiers):
    """{(id, nom): [Fichier relatifs au dossier de l'étudiant]} si la liste
    vient d'un zip Moodle ; {} sinon."""
    groupes = {}
    for f in fichiers:
        tete, _, reste = f.chemin.partition("/")
        m = _moodle(tete)
        if m and reste:
            cle = (m.group("id"), m.group("nom"))
            groupes.setdefault(cle, []).append(
                Fichier(reste, f.taille, f.lire, f.lien))
    return groupes


def _depuis_groupes(groupes):
    return [Soumission(ident, nom, fichiers) for (ident, nom), fichiers in sorted(groupes.items())]


def decouvrir(entrees):
    """Toutes les soumissions des entrées, dans un ordre stable."""
    soumissions = []
    for entree in entrees:
        soumissions += _decouvrir_une(entree)
    vus = {}
    for s in soumissions:  # deux soumissions de même nom : la seconde est suffixée
        vus[s.identifiant] = vus.get(s.identifiant, 0) + 1
        if vus[s.identifiant] > 1:
            s.identifiant = f"{s.identifiant}_{vus[s.identifiant]}"
    return soumissions


def _decouvrir_une(entree):
    chemin = os.path.abspath(entree)
    base = os.path.basename(chemin.rstrip("/"))
    if not os.path.exists(chemin):
        raise ErreurEntree(f"soumission introuvable : {entree}")
    if os.path.isdir(chemin):
        m = _moodle(base)
        if m:
            return [Soumission(m.group("id"), m.group("nom"), lister_dossier(chemin))]
        sous = [d for d in sorted(os.listdir(chemin))
                if _moodle(d) and os.path.isdir(os.path.join(chemin, d))]
        if sous:
            return _depuis_groupes(_regrouper_moodle(lister_dossier(chemin)))
        return [Soumission(nom_de_fichier(base), base, lister_dossier(chemin))]
    nom = re.sub(r"(\.tar\.gz|\.tgz|\.tar|\.zip|\.c)$", "", base, flags=re.I)
    if est_archive(base):
        with open(chemin, "rb") as f:
            octets = f.read(config.TAILLE_MAX_ARCHIVE)
        try:
            fichiers = lister_archive(base, octets)
        except ArchiveIllisible as e:
            return [Soumission(nom_de_fichier(nom), nom, probleme=f"archive illisible ({e})")]
        groupes = _regrouper_moodle(fichiers)
        if groupes:
            return _depuis_groupes(groupes)
        return [Soumission(nom_de_fichier(nom), nom, fichiers)]
    if base == config.FICHIER_ETUDIANT:
        dossier = os.path.basename(os.path.dirname(chemin))
        return [Soumission(nom_de_fichier(dossier), dossier, lister_dossier(os.path.dirname(chemin)))]
    raise ErreurEntree(f"format non reconnu : {entree} (attendu : dossier, .zip, .tar.gz, .tgz, "
                       f".tar ou {config.FICHIER_ETUDIANT})")


# --- Trouver le fichier de l'étudiant ----------------------------------------

def source_etudiant(soumission, profondeur=0, fichiers=None):
    """Rend (octets de hp_allocator.c, remarques) ; octets None s'il manque.
    Le fichier le moins enfoui gagne ; on regarde ensuite dans les archives."""
    fichiers = soumission.fichiers if fichiers is None else fichiers
    remarques = []
    candidats = [f for f in fichiers if os.path.basename(f.chemin) == config.FICHIER_ETUDIANT
                 and not _ignore(f.chemin)]
    for f in candidats:
        if f.lien:
            remarques.append(f"{f.chemin} est un lien symbolique : ignoré")
    candidats = sorted((f for f in candidats if not f.lien),
                       key=lambda f: (f.chemin.count("/"), f.chemin))
    if len(candidats) > 1:
        remarques.append(f"plusieurs {config.FICHIER_ETUDIANT} : {candidats[0].chemin} est noté")
    if candidats:
        f = candidats[0]
        if f.taille > config.TAILLE_MAX_SOURCE:
            return None, remarques + [f"{f.chemin} dépasse {config.TAILLE_MAX_SOURCE >> 10} Kio"]
        return f.lire(), remarques
    if profondeur >= config.PROFONDEUR_ARCHIVES:
        return None, remarques
    for f in fichiers:
        if est_archive(f.chemin) and not f.lien and not _ignore(f.chemin):
            try:
                dedans = lister_archive(f.chemin, f.lire())
            except ArchiveIllisible as e:
                remarques.append(f"archive illisible ignorée : {e}")
                continue
            octets, autres = source_etudiant(soumission, profondeur + 1, dedans)
            remarques += autres
            if octets is not None:
                return octets, remarques + [f"trouvé dans l'archive {f.chemin}"]
    return None, remarques
