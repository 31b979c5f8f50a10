/**
 * Common programs known not to run another program named in their arguments. A program
 * outside this list, the wrappers (wrappers.ts) and the opaque kinds (programKinds.ts) is
 * unknown: if its arguments name a program a rule refuses, or a shell, it may be a wrapper
 * the engine does not know (`setpriv ... rm x`), and the command is treated as opaque.
 */
export const KNOWN_PROGRAMS: ReadonlySet<string> = new Set([
  // coreutils and util-linux
  '[', 'arch', 'b2sum', 'base32', 'base64', 'basename', 'basenc', 'cat', 'chcon', 'chgrp', 'chmod', 'chown', 'cksum', 'comm', 'cp',
  'csplit', 'cut', 'date', 'dd', 'df', 'dir', 'dircolors', 'dirname', 'du', 'echo', 'expand', 'expr', 'factor', 'false', 'fmt',
  'fold', 'groups', 'head', 'hostid', 'id', 'join', 'link', 'ln', 'logname', 'ls', 'md5sum', 'mkdir', 'mkfifo', 'mknod', 'mktemp',
  'mv', 'nl', 'nproc', 'numfmt', 'od', 'paste', 'pathchk', 'pinky', 'pr', 'printenv', 'printf', 'ptx', 'pwd', 'readlink', 'realpath',
  'rm', 'rmdir', 'seq', 'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'shred', 'shuf', 'sleep', 'sort', 'split',
  'stat', 'stty', 'sum', 'sync', 'tac', 'tail', 'tee', 'test', 'touch', 'tr', 'true', 'truncate', 'tsort', 'tty', 'uname', 'unexpand',
  'uniq', 'unlink', 'users', 'vdir', 'wc', 'who', 'whoami', 'yes', 'install', 'lsblk', 'blkid', 'mount', 'umount', 'findmnt', 'fdisk',
  'sfdisk', 'parted', 'mkfs', 'mkswap', 'swapon', 'swapoff', 'losetup', 'lscpu', 'lsmem', 'dmesg', 'free', 'uptime', 'w', 'last',
  'lastlog', 'kill', 'killall', 'pkill', 'pgrep', 'ps', 'top', 'htop', 'pidof', 'pstree', 'renice', 'hostname', 'hostnamectl',
  'timedatectl', 'localectl', 'loginctl', 'wall', 'write', 'mesg', 'getent', 'getconf', 'locale', 'ldd', 'file', 'which', 'whereis',
  'type', 'cal', 'ncal', 'look', 'column', 'rev', 'hexdump', 'xxd', 'strings', 'iconv', 'logger', 'flock', 'ipcs', 'ipcrm', 'lsof',
  'fuser', 'vmstat', 'iostat', 'mpstat', 'sar', 'pidstat', 'tload', 'watch', 'blockdev', 'e2fsck', 'fsck', 'tune2fs', 'resize2fs',
  'xfs_growfs', 'xfs_repair', 'lvs', 'vgs', 'pvs', 'lvcreate', 'lvextend', 'lvremove', 'vgcreate', 'vgextend', 'pvcreate', 'mdadm',
  'cryptsetup', 'wipefs', 'sgdisk', 'partprobe',
  // text and search
  'grep', 'egrep', 'fgrep', 'zgrep', 'rg', 'ag', 'diff', 'diff3', 'cmp', 'patch', 'jq', 'yq', 'xmllint', 'tree', 'locate', 'updatedb',
  'gzip', 'gunzip', 'zcat', 'bzip2', 'bunzip2', 'bzcat', 'xz', 'unxz', 'xzcat', 'zstd', 'unzstd', 'lz4', 'unzip', 'cpio', '7z',
  'sha256', 'md5', 'openssl', 'gpg', 'ssh-keygen', 'ssh-keyscan', 'ssh-add',
  // network
  'ip', 'ifconfig', 'route', 'ss', 'netstat', 'ping', 'ping6', 'traceroute', 'tracepath', 'mtr', 'dig', 'nslookup', 'host', 'curl',
  'wget', 'arp', 'ethtool', 'iptables', 'ip6tables', 'nft', 'ufw', 'firewall-cmd', 'tcpdump', 'nmcli', 'resolvectl', 'iw', 'brctl',
  'scp', 'sftp',
  // services and packages
  'systemctl', 'journalctl', 'service', 'chkconfig', 'update-rc.d', 'apt', 'apt-get', 'apt-cache', 'dpkg', 'dpkg-query', 'yum',
  'dnf', 'rpm', 'zypper', 'apk', 'snap', 'pip', 'pip3', 'npm', 'useradd', 'userdel', 'usermod', 'groupadd', 'groupdel', 'groupmod',
  'passwd', 'chpasswd', 'chage', 'gpasswd', 'shutdown', 'reboot', 'halt', 'poweroff', 'init', 'telinit', 'modprobe', 'lsmod', 'rmmod',
  'insmod', 'sysctl', 'lspci', 'lsusb', 'dmidecode', 'smartctl', 'nvidia-smi', 'docker', 'podman', 'kubectl', 'helm', 'crictl',
  'ctr', 'virsh', 'certbot', 'nginx', 'apachectl', 'apache2ctl', 'httpd', 'haproxy', 'redis-cli', 'mongosh', 'mongo', 'logrotate',
  'chronyc', 'ntpq', 'timeout', 'uuidgen', 'setfacl', 'getfacl', 'chattr', 'lsattr', 'exportfs', 'showmount', 'rsyslogd',
  // shell builtins that take no program
  'cd', 'pwd', 'alias', 'unalias', 'history', 'jobs', 'fg', 'bg', 'wait', 'disown', 'umask', 'ulimit', 'set', 'shopt', 'export',
  'declare', 'typeset', 'local', 'readonly', 'unset', 'read', 'shift', 'return', 'exit', 'logout', 'help', 'dirs', 'pushd', 'popd',
  'let', 'getopts', 'caller', 'times', 'suspend', ':', 'mapfile', 'readarray', 'compgen', 'complete', 'compopt', 'enable', 'hash',
]);
