{
  "targets": [
    {
      "target_name": "tsrun_native",
      "sources": ["native/binding.cc", "native/spawn.cc", "native/channel.cc", "native/process.cc",
                  "native/seccomp.cc", "native/terminal.cc", "native/cgroup_bpf.cc", "native/cgroup_event.cc", "native/cgroup_warm.cc",
                  "native/notify.cc", "native/unmount.cc"],
      "libraries": ["<!@(p=$(${CC:-cc} -print-file-name=libseccomp.a); t=$(mktemp); if [ \"${p#/}\" != \"$p\" ] && printf '#include <seccomp.h>\\nvoid *tsrun_probe(void) { return seccomp_init(SCMP_ACT_ALLOW); }\\n' | ${CC:-cc} -shared -fPIC -x c - -x none -o $t $p 2>/dev/null; then echo $p -Wl,--exclude-libs,ALL; else echo -lseccomp; fi; rm -f $t)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra",
                    "-fvisibility=hidden", "-fvisibility-inlines-hidden", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-Wl,--gc-sections", "-Wl,-O1"]
    },
    {
      "target_name": "tsrun-init",
      "type": "executable",
      "sources": ["native/init/main.cc", "native/init/exec.cc", "native/init/hooks.cc", "native/init/wire.cc", "native/init/channel.cc",
                  "native/init/plan-decode.cc", "native/init/plan-load.cc",
                  "native/init/namespaces.cc", "native/init/cgroup-clone.cc", "native/init/mounts.cc", "native/init/paths.cc",
                  "native/init/devices.cc", "native/init/process.cc",
                  "native/init/identity.cc", "native/init/limits.cc", "native/init/sched.cc",
                  "native/init/lsm.cc", "native/init/seccomp.cc",
                  "native/init/procfs.cc", "native/init/masks.cc", "native/init/sysctl.cc", "native/init/console.cc", "native/init/loopback.cc",
                  "native/init/home.cc", "native/init/host-mounts.cc", "native/init/pidfd.cc", "native/init/idmap.cc", "native/init/mempolicy.cc", "native/init/netdev.cc"],
      "defines": ["_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    },
    {
      "target_name": "tsrun",
      "type": "executable",
      "sources": ["native/launcher/main.c"],
      "defines": ["_GNU_SOURCE"],
      "cflags_c": ["-std=c11", "-Os", "-fno-asynchronous-unwind-tables", "-Wall", "-Wextra"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    },
    {
      "target_name": "tsrun-bin",
      "type": "none",
      "dependencies": ["tsrun"],
      "copies": [{"destination": "bin", "files": ["<(PRODUCT_DIR)/tsrun"]}]
    },
    {
      "target_name": "tsrun-plan-check",
      "type": "executable",
      "sources": ["native/init/plan-check.cc", "native/init/plan-decode.cc", "native/init/plan-load.cc",
                  "native/init/plan-dump.cc", "native/init/wire.cc"],
      "defines": ["_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra"]
    }
  ]
}
