// Names shown to users (zh-CN) for the API's enum values.

export const LEVELS = {
  critical: { name: '特高危', rank: 3 },
  high: { name: '高', rank: 2 },
  medium: { name: '中', rank: 1 },
  low: { name: '低', rank: 0 },
};
export const LEVEL_ORDER = ['critical', 'high', 'medium', 'low'];

export const ROLE_NAMES = {
  admin: '系统管理员',
  analyst: '研判员',
  commander: '指挥员',
  station_head: '所长',
  officer: '民警',
  partner: '合作单位',
  governance: '治理部门',
  resident: '群众',
};

export const CENTRE_ROLES = ['admin', 'analyst', 'commander'];
export const FIELD_ROLES = ['station_head', 'officer'];

export const TASK_STATUS = {
  issued: '已下发',
  signed: '已签收',
  calling: '电话劝阻中',
  visiting: '上门寻找中',
  met: '已见面',
  feedback: '已反馈',
  evaluated: '已评估',
  closed: '已关闭',
  replied: '已答复',
  resolved: '已办结',
};

export const WARNING_STATUS = { open: '待处置', closed: '已办结' };

export const OUTCOMES = {
  dissuaded: '劝阻成功',
  defrauded: '已被骗',
  not_at_risk: '无风险',
  unreachable: '无法联系',
};

export const FRAUD_TYPES = {
  order_brushing: '刷单返利',
  investment: '虚假投资理财',
  loan: '虚假贷款',
  fake_customer_service: '冒充电商物流客服',
  impersonate_officials: '冒充公检法',
  credit_repair: '虚假征信',
  fake_shopping: '虚假购物服务',
  impersonate_acquaintance: '冒充领导熟人',
  game_trade: '游戏产品虚假交易',
  romance: '网络婚恋交友',
  military_purchase: '冒充军警购物',
  gambling: '网络赌博',
  other: '其他',
  normal: '非诈骗',
};

export const EVENT_KINDS = {
  call: '通话',
  sms: '短信',
  transfer: '转账',
  url_visit: '访问网址',
  app_install: '安装APP',
  report: '报告',
  pushed_warning: '上级预警',
};

export const EVENT_SOURCES = {
  telecom: '运营商',
  bank: '银行',
  internet: '互联网',
  citizen: '群众',
  hotline: '96110',
  platform: '上级平台',
  desk: 'E警通',
};

export const ACTIONS = {
  issue: '下发',
  sign: '签收',
  call: '电话',
  visit: '上门',
  meet: '见面',
  feedback: '反馈',
  evaluate: '评估',
  close: '关闭',
  assign: '指派',
  escalate: '超时升级',
  level: '调整等级',
  merge: '合并线索',
  note: '备注',
  reply: '答复',
  reroute: '改派',
  divert: '分流',
  follow_up: '群众追问',
  reopen: '重新打开',
  rate: '评价',
};

export const PERSON_TAGS = { elderly: '老年人', student: '在校学生' };

export function levelName(level) {
  return (LEVELS[level] && LEVELS[level].name) || level || '—';
}

export function isCentre(user) {
  return Boolean(user) && CENTRE_ROLES.indexOf(user.role) >= 0;
}

export function isField(user) {
  return Boolean(user) && FIELD_ROLES.indexOf(user.role) >= 0;
}

// The citizen desk (群众求助).

export const DESK_CATEGORIES = {
  consultation: { name: '咨询', tone: 'blue' },
  fraud: { name: '疑似诈骗', tone: 'orange' },
  hazard: { name: '安全隐患', tone: 'amber' },
  dispute: { name: '矛盾纠纷', tone: 'teal' },
  nuisance: { name: '非警务求助', tone: 'green' },
  emergency: { name: '紧急求助', tone: 'red' },
};

export const DESK_ROUTES = {
  officer: '社区民警',
  station: '派出所',
  specialty: '警种',
  triage: '情指中心研判',
  governance: '分流治理部门',
  unit: '指定单位',
};
