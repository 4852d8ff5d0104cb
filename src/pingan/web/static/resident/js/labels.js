// What residents read: categories with their topics and hints, statuses, alert kinds.

export const CATEGORIES = [
  {
    value: 'consultation',
    name: '咨询',
    lead: '户籍、出入境、交管、法律',
    icon: 'chat',
    tone: 'blue',
    topics: [
      { value: 'household', name: '户籍' },
      { value: 'exit_entry', name: '出入境' },
      { value: 'traffic', name: '交管' },
      { value: 'legal', name: '法律求助' },
      { value: 'government', name: '政务服务' },
      { value: 'other', name: '其他' },
    ],
    placeholder: '例如：孩子刚出生，户口怎么上？需要带哪些材料？',
  },
  {
    value: 'fraud',
    name: '疑似诈骗',
    lead: '可疑电话、短信、链接',
    icon: 'money',
    tone: 'orange',
    topics: [],
    placeholder: '对方怎么联系您的、说了什么、让您做什么？请写下号码或链接。',
    hint: '已经转账的，请立即拨打 110 或 96110。',
  },
  {
    value: 'hazard',
    name: '安全隐患',
    lead: '交通、消防通道、电线',
    icon: 'alert',
    tone: 'amber',
    topics: [
      { value: 'traffic', name: '交通隐患' },
      { value: 'other', name: '其他隐患' },
    ],
    placeholder: '在哪里、有什么隐患？可以拍张照片。',
  },
  {
    value: 'dispute',
    name: '矛盾纠纷',
    lead: '邻里、家庭、物业',
    icon: 'people',
    tone: 'teal',
    topics: [],
    placeholder: '和谁、因为什么事发生了纠纷？',
    hint: '矛盾纠纷由属地综治中心组织调解。',
  },
  {
    value: 'nuisance',
    name: '犬类噪音',
    lead: '遛狗不牵绳、噪音扰民',
    icon: 'paw',
    tone: 'green',
    topics: [
      { value: 'dog', name: '犬类管理' },
      { value: 'noise', name: '噪音扰民' },
      { value: 'other', name: '其他' },
    ],
    placeholder: '在哪里、什么时间、什么情况？',
    hint: '非警务事项将分流至属地治理部门处理，处理结果会在这里告诉您。',
  },
  {
    value: 'emergency',
    name: '紧急求助',
    lead: '正在发生的危险',
    icon: 'siren',
    tone: 'red',
    topics: [],
    placeholder: '发生了什么？在哪里？',
  },
];

export function category(value) {
  return CATEGORIES.find((c) => c.value === value) || { value, name: value, icon: 'chat', tone: 'blue', topics: [] };
}

export const STATUS = {
  issued: { name: '待受理', tone: 'waiting' },
  signed: { name: '处理中', tone: 'working' },
  replied: { name: '已答复', tone: 'answered' },
  resolved: { name: '已办结', tone: 'done' },
  closed: { name: '已关闭', tone: 'closed' },
};

export function statusOf(request) {
  if (request.merged_into_id || request.resolution === 'merged') return { name: '已合并', tone: 'closed' };
  return STATUS[request.status] || { name: request.status_name || request.status, tone: 'waiting' };
}

export const PUSH_KINDS = {
  fraud: '电诈预警',
  weather: '天气提醒',
  disaster: '灾害警告',
  traffic: '交通安全',
  epidemic: '疫情防控',
  notice: '通知',
};

export const TAGS = { elderly: '老年人', student: '在校学生' };

export const MATCHED_BY = { location: '按当前位置', address: '按住址', profile: '按登记住址' };
