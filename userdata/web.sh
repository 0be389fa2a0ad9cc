#!/bin/bash
set -euxo pipefail

dnf update -y
dnf install -y nginx amazon-cloudwatch-agent

systemctl enable nginx
systemctl start nginx

HOST=$(hostname)
cat > /usr/share/nginx/html/index.html <<EOF
<h1>{{page_title}}</h1>
<p>host: ${HOST}</p>
<p>time: $(date)</p>
EOF

cat > /opt/aws/amazon-cloudwatch-agent/bin/config.json <<'EOF'
{
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          { "file_path": "{{access_log_path}}", "log_group_name": "{{access_log_group}}", "log_stream_name": "{instance_id}" },
          { "file_path": "{{error_log_path}}",  "log_group_name": "{{error_log_group}}",  "log_stream_name": "{instance_id}" }
        ]
      }
    }
  }
}
EOF

/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl \
  -a fetch-config -m ec2 -c file:/opt/aws/amazon-cloudwatch-agent/bin/config.json -s
