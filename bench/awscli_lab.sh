#!/usr/bin/env bash
# The whole lab with the AWS CLI, one call after another, then its seven goals
# verified: the peer of `labguide run --all` + `labguide verify` in bench/run.py.
#
# It makes the calls a careful learner would type from the article, with the
# values of the same catalog (bench/lab_env.py prints them as variables):
#
#   eval "$(python bench/lab_env.py --participant cli)"
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT bash bench/awscli_lab.sh
#
# It needs AWS_ENDPOINT_URL (a labguide sandbox: the ALB's page and the e-mail
# confirmation go through its endpoint), credentials and a region in the
# environment. It exits non-zero at the first call or check that fails.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the sandbox}"
export AWS_PAGER=""
aws() { command aws --output text "$@"; }
fail() { echo "awscli_lab: $*" >&2; exit 1; }
# expect PATTERN WHAT COMMAND...: fails unless the command's output matches.
expect() {
  local pattern=$1 what=$2 got
  shift 2
  got=$("$@")
  # shellcheck disable=SC2053 # the pattern is a glob on purpose
  [[ $got == $pattern ]] || fail "$what (got '$got')"
}

# 1. Network: the VPC, two public subnets, the gateway and the route.
VPC=$(aws ec2 create-vpc --cidr-block "$VPC_CIDR" --tag-specifications "$VPC_TAGS" \
  --query Vpc.VpcId)
aws ec2 modify-vpc-attribute --vpc-id "$VPC" --enable-dns-hostnames '{"Value":true}'
read -r -a ZONES <<<"$(aws ec2 describe-availability-zones \
  --filters Name=state,Values=available --query 'AvailabilityZones[].ZoneName')"
SUBNET_IDS=()
for ((i = 1; i <= SUBNET_COUNT; i++)); do
  cidr="SUBNET_${i}_CIDR" zone="SUBNET_${i}_ZONE_INDEX" tags="SUBNET_${i}_TAGS"
  public="SUBNET_${i}_PUBLIC"
  subnet=$(aws ec2 create-subnet --vpc-id "$VPC" --cidr-block "${!cidr}" \
    --availability-zone "${ZONES[${!zone}]}" --tag-specifications "${!tags}" \
    --query Subnet.SubnetId)
  if [ "${!public}" = true ]; then
    aws ec2 modify-subnet-attribute --subnet-id "$subnet" --map-public-ip-on-launch
  fi
  SUBNET_IDS+=("$subnet")
done
IGW=$(aws ec2 create-internet-gateway --tag-specifications "$IGW_TAGS" \
  --query InternetGateway.InternetGatewayId)
aws ec2 attach-internet-gateway --internet-gateway-id "$IGW" --vpc-id "$VPC"
RT=$(aws ec2 create-route-table --vpc-id "$VPC" --tag-specifications "$RT_TAGS" \
  --query RouteTable.RouteTableId)
aws ec2 create-route --route-table-id "$RT" --destination-cidr-block 0.0.0.0/0 \
  --gateway-id "$IGW" >/dev/null
for subnet in "${SUBNET_IDS[@]}"; do
  aws ec2 associate-route-table --route-table-id "$RT" --subnet-id "$subnet" >/dev/null
done

# 2. The instances' role and its instance profile.
aws iam create-role --role-name "$ROLE_NAME" --assume-role-policy-document \
  "$ROLE_TRUST" --tags "$ROLE_TAGS" >/dev/null
for policy in $ROLE_POLICIES; do
  aws iam attach-role-policy --role-name "$ROLE_NAME" \
    --policy-arn "arn:aws:iam::aws:policy/$policy"
done
aws iam create-instance-profile --instance-profile-name "$PROFILE_NAME" >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name "$PROFILE_NAME" \
  --role-name "$ROLE_NAME"

# 3. Security groups: HTTP from anywhere to the ALB, from the ALB to the web.
SG_ALB=$(aws ec2 create-security-group --group-name "$ALB_SG_NAME" --description \
  "$ALB_SG_DESCRIPTION" --vpc-id "$VPC" --tag-specifications "$ALB_SG_TAGS" \
  --query GroupId)
SG_EC2=$(aws ec2 create-security-group --group-name "$EC2_SG_NAME" --description \
  "$EC2_SG_DESCRIPTION" --vpc-id "$VPC" --tag-specifications "$EC2_SG_TAGS" \
  --query GroupId)
aws ec2 authorize-security-group-ingress --group-id "$SG_ALB" \
  --ip-permissions "$ALB_SG_INGRESS" >/dev/null
aws ec2 authorize-security-group-ingress --group-id "$SG_EC2" \
  --ip-permissions "${EC2_SG_INGRESS//__${ALB_SG_NAME}__/$SG_ALB}" >/dev/null

# 4. The launch template, with the AMI from the public SSM parameter.
AMI=$(aws ssm get-parameter --name "$AMI_PARAMETER" --query Parameter.Value)
DATA=${LT_DATA//__AMI__/$AMI}
DATA=${DATA//__${EC2_SG_NAME}__/$SG_EC2}
LT=$(aws ec2 create-launch-template --launch-template-name "$LT_NAME" \
  --launch-template-data "$DATA" --tag-specifications "$LT_TAGS" \
  --query LaunchTemplate.LaunchTemplateId)

# 5. The target group, with a short deregistration delay.
# shellcheck disable=SC2086 # TG_ARGS is a list of options
TG=$(aws elbv2 create-target-group --name "$TG_NAME" --vpc-id "$VPC" $TG_ARGS \
  --tags "$TG_TAGS" --query 'TargetGroups[0].TargetGroupArn')
aws elbv2 modify-target-group-attributes --target-group-arn "$TG" --attributes \
  "Key=deregistration_delay.timeout_seconds,Value=$TG_DELAY" >/dev/null

# 6. The ALB and its listener.
read -r ALB DNS <<<"$(aws elbv2 create-load-balancer --name "$ALB_NAME" \
  --subnets "${SUBNET_IDS[@]}" --security-groups "$SG_ALB" --scheme "$ALB_SCHEME" \
  --type application --tags "$ALB_TAGS" \
  --query 'LoadBalancers[0].[LoadBalancerArn,DNSName]')"
aws elbv2 create-listener --load-balancer-arn "$ALB" --protocol "$LISTENER_PROTOCOL" \
  --port "$LISTENER_PORT" --default-actions "Type=forward,TargetGroupArn=$TG" \
  >/dev/null

# 7. The Auto Scaling group.
ZONE_IDS=$(IFS=,; echo "${SUBNET_IDS[*]}")
# shellcheck disable=SC2086 # ASG_SIZES is a list of options
aws autoscaling create-auto-scaling-group --auto-scaling-group-name "$ASG_NAME" \
  --launch-template "LaunchTemplateId=$LT,Version=\$Default" $ASG_SIZES \
  --vpc-zone-identifier "$ZONE_IDS" --target-group-arns "$TG" --tags "$ASG_TAGS"

# 8. Session Manager: which of the group's instances are online.
INSTANCES=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names \
  "$ASG_NAME" --query 'AutoScalingGroups[0].Instances[].InstanceId')
aws ssm describe-instance-information --filters \
  "Key=InstanceIds,Values=${INSTANCES//[[:space:]]/,}" >/dev/null

# 9. The SNS topic, the e-mail subscription and the 5XX alarm.
TOPIC=$(aws sns create-topic --name "$TOPIC_NAME" --tags "$TOPIC_TAGS" \
  --query TopicArn)
aws sns subscribe --topic-arn "$TOPIC" --protocol email \
  --notification-endpoint learner@example.com >/dev/null
DIMENSION=${ALB#*:loadbalancer/}
# shellcheck disable=SC2086 # ALARM_ARGS is a list of options
aws cloudwatch put-metric-alarm --alarm-name "$ALARM_NAME" $ALARM_ARGS \
  --dimensions "Name=LoadBalancer,Value=$DIMENSION" --alarm-actions "$TOPIC" \
  --ok-actions "$TOPIC" --tags "$ALARM_TAGS"

# 10. The log groups (the CloudWatch agent may have made them already), and a
# request for the page and one for a missing page.
for group in $LOG_GROUPS; do
  aws logs create-log-group --log-group-name "$group" --tags "$LOG_TAGS" \
    2>/dev/null || echo "awscli_lab: $group exists already"
  aws logs put-retention-policy --log-group-name "$group" \
    --retention-in-days "$LOG_RETENTION"
done
curl -sf -o /dev/null -H "Host: $DNS" "$AWS_ENDPOINT_URL/" || fail "no page yet"
curl -s -o /dev/null -H "Host: $DNS" "$AWS_ENDPOINT_URL/awscli-probe"

# 11. CloudTrail: the article's events.
for event in $TRAIL_EVENTS; do
  aws cloudtrail lookup-events --lookup-attributes \
    "AttributeKey=EventName,AttributeValue=$event" --max-results 50 >/dev/null
done

# 12. AWS Backup: the service role, the vault, the plan, its selection and
# one on-demand job.
ROLE_ARN=$(aws iam create-role --role-name "$BACKUP_ROLE" \
  --assume-role-policy-document "$BACKUP_TRUST" --tags "$BACKUP_TAGS" \
  --query Role.Arn)
aws iam attach-role-policy --role-name "$BACKUP_ROLE" \
  --policy-arn "arn:aws:iam::aws:policy/service-role/$BACKUP_POLICY"
aws backup create-backup-vault --backup-vault-name "$VAULT_NAME" >/dev/null
PLAN_ID=$(aws backup create-backup-plan --backup-plan "$PLAN" --query BackupPlanId)
aws backup create-backup-selection --backup-plan-id "$PLAN_ID" \
  --backup-selection "${SELECTION//__ROLE_ARN__/$ROLE_ARN}" >/dev/null
VOLUME=$(aws ec2 describe-instances --instance-ids $INSTANCES --query \
  'Reservations[].Instances[].BlockDeviceMappings[0].Ebs.VolumeId' | cut -f1)
ACCOUNT=$(aws sts get-caller-identity --query Account)
aws backup start-backup-job --backup-vault-name "$VAULT_NAME" --resource-arn \
  "arn:aws:ec2:${AWS_DEFAULT_REGION}:${ACCOUNT}:volume/${VOLUME}" --iam-role-arn \
  "$ROLE_ARN" --start-window-minutes "$BACKUP_WINDOW" \
  --lifecycle "DeleteAfterDays=$BACKUP_RETENTION" >/dev/null

# The learner clicks the link in the e-mail (the sandbox's stand-in for it).
curl -sf -o /dev/null -X POST -d '{}' "$AWS_ENDPOINT_URL/_sandbox/confirm-email"

# The seven goals.
PAGE=$(curl -sf -H "Host: $DNS" "$AWS_ENDPOINT_URL/")
[[ $PAGE == *"$PAGE_TITLE"* ]] || fail "web-via-alb: the page is not served through the ALB"
HEALTHY=$(aws elbv2 describe-target-health --target-group-arn "$TG" \
  --query "length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])")
[ "$HEALTHY" -ge "$ASG_DESIRED" ] || fail "targets-healthy: $HEALTHY healthy"
ONLINE=$(aws ssm describe-instance-information --filters \
  "Key=InstanceIds,Values=${INSTANCES//[[:space:]]/,}" \
  --query "length(InstanceInformationList[?PingStatus=='Online'])")
[ "$ONLINE" -ge "$ASG_DESIRED" ] || fail "session-manager: $ONLINE online"
expect "$ALARM_NAME" "alarm" aws cloudwatch describe-alarms --alarm-names \
  "$ALARM_NAME" --query 'MetricAlarms[0].AlarmName'
expect "arn:*" "alarm-notification: the subscription is not confirmed" \
  aws sns list-subscriptions-by-topic --topic-arn "$TOPIC" \
  --query 'Subscriptions[0].SubscriptionArn'
for group in $LOG_GROUPS; do
  expect "[1-9]*" "nginx-logs: $group is empty" aws logs filter-log-events \
    --log-group-name "$group" --limit 5 --query 'length(events)'
done
for event in $TRAIL_EVENTS; do
  expect "$event" "cloudtrail: $event" aws cloudtrail lookup-events \
    --lookup-attributes "AttributeKey=EventName,AttributeValue=$event" \
    --max-results 50 --query 'Events[0].EventName'
done
aws backup get-backup-plan --backup-plan-id "$PLAN_ID" >/dev/null
expect "?*" "backup-history: no selection" aws backup list-backup-selections \
  --backup-plan-id "$PLAN_ID" --query 'BackupSelectionsList[0].SelectionName'
expect "COMPLETED" "backup-history: no completed job" aws backup list-backup-jobs \
  --by-backup-vault-name "$VAULT_NAME" --query 'BackupJobs[0].State'
echo "awscli_lab: the lab is built and its seven goals pass"
