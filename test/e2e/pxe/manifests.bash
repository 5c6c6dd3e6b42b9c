#!/usr/bin/env bash
# The objects of the PXE scenarios (sourced; see rig.bash).

# pxe_manifests: Templates "pxe-install" (by the rule set, for discovered
# machines) and "pxe-prereg" (named by a pre-registered Hardware's hint),
# and the WorkflowRuleSet matching QEMU's MACs (52:54:00:...). Both
# templates write the test image to /dev/vda, write /etc/provisioned-by
# into partition 1 and power off; they differ in what the file says.
pxe_manifests() {
    local t
    for t in pxe-install pxe-prereg; do
        cat <<YAML
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata: {name: $t, namespace: default}
spec:
  data: |
    version: "0.1"
    name: $t
    global_timeout: 600
    tasks:
      - name: provision
        worker: "{{.worker_id}}"
        actions:
          - name: image
            image: anvil/image2disk
            timeout: 300
            environment:
              IMG_URL: $PXE_HTTP/bootenv/disk.img.zst
              DEST_DISK: /dev/vda
              COMPRESSED: "true"
          - name: stamp
            image: quay.io/tinkerbell/actions/writefile:latest
            timeout: 120
            environment:
              DEST_DISK: /dev/vda1
              FS_TYPE: ext4
              DEST_PATH: /etc/provisioned-by
              CONTENTS: "$t {{.worker_id}}"
              UID: "0"
              GID: "0"
              MODE: "0644"
              DIRMODE: "0755"
          - name: off
            image: anvil/poweroff
            timeout: 60
---
YAML
    done
    cat <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: WorkflowRuleSet
metadata: {name: qemu-machines, namespace: default}
spec:
  rules:
    - '{"networkInterfaces":{"mac":[{"prefix":"52:54:00:"}]}}'
  workflow:
    addAttributes: true
    template: {ref: pxe-install, agentValue: worker_id}
YAML
}

# pxe_prereg_hardware NAME MAC IP: a Hardware registered before its machine
# boots, with an enrollment hint naming pxe-prereg (not the rule set's).
pxe_prereg_hardware() {
    cat <<YAML
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: $1
  namespace: default
  annotations: {anvil.dev/enrollment-template: pxe-prereg}
spec:
  interfaces:
    - dhcp:
        mac: "$2"
        arch: x86_64
        ip: {address: $3, netmask: 255.255.255.0}
      netboot: {allowPXE: true, allowWorkflow: true}
YAML
}
