#!/bin/sh
# Réserve des huge pages et monte hugetlbfs sur /mnt/huge (à lancer en root).
#
#   sh hugepages.sh on [PAGES]   réserve PAGES pages (défaut 100, soit 200 Mio
#                                en pages de 2 Mio) et monte /mnt/huge (0777)
#   sh hugepages.sh off          démonte /mnt/huge et rend les pages
#   sh hugepages.sh etat         affiche l'état
# Relancer « on » ne change rien si c'est déjà fait.
set -eu

POINT=${HP_HUGETLBFS:-/mnt/huge}
NR=/proc/sys/vm/nr_hugepages

etat() {
	total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
	libres=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	taille=$(awk '/Hugepagesize/ {print $2 / 1024}' /proc/meminfo)
	if grep -qs " $POINT hugetlbfs " /proc/mounts; then monte="monté"; else monte="non monté"; fi
	echo "  $1 : $total huge pages de $taille Mio réservées ($libres libres), $POINT $monte"
}

sans_root() {
	echo "Il faut être root. Lancez : sudo make $1" >&2
	echo "ou, à la main :" >&2
	shift
	for c in "$@"; do echo "  sudo $c" >&2; done
	exit 1
}

action=${1:-etat}
pages=${2:-100}
case "$pages" in ''|*[!0-9]*) echo "hugepages.sh : nombre de pages invalide : « $pages »" >&2; exit 2 ;; esac

case "$action" in
etat) etat "état" ;;
on)
	[ "$(id -u)" = 0 ] || sans_root hugepages "sh -c 'echo $pages > $NR'" "mkdir -p $POINT" \
		"mount -t hugetlbfs -o mode=0777 none $POINT"
	etat avant
	if [ "$(cat $NR)" -lt "$pages" ]; then
		echo "$pages" > $NR
	fi
	if [ "$(cat $NR)" -lt "$pages" ]; then
		echo "Attention : le noyau n'a pu réserver que $(cat $NR) pages sur $pages (mémoire fragmentée ?)" >&2
	fi
	mkdir -p "$POINT"
	grep -qs " $POINT hugetlbfs " /proc/mounts || mount -t hugetlbfs -o mode=0777 none "$POINT"
	etat après ;;
off)
	[ "$(id -u)" = 0 ] || sans_root hugepages-off "umount $POINT" "sh -c 'echo 0 > $NR'"
	etat avant
	if grep -qs " $POINT hugetlbfs " /proc/mounts; then umount "$POINT"; fi
	echo 0 > $NR
	etat après ;;
*) echo "hugepages.sh : action inconnue « $action » (on, off ou etat)" >&2; exit 2 ;;
esac
